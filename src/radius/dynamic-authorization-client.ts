// RFC 5176 dynamic-authorization client: CoA-Request and Disconnect-Request to a NAS, with
// RFC 5080 §2.2.1 retransmission (first retry after 2 s, doubling up to 16 s, at most 5 sends,
// giving up 30 s after the first), byte-identical retransmissions, and responses accepted only
// when they match a request in flight and verify in constant time (verify-response.ts).
// Every exchange is returned in full (sends, answer, decoded and hex) for the support timeline.
import dgram from 'node:dgram'
import type { AttributeInput } from './attribute-encoder.ts'
import { buildCoaRequest, buildDisconnectRequest, type SignedRequest } from './build-request.ts'
import { PacketCode } from './codes.ts'
import { type DecodedPacket, decodePacket, firstValue } from './decode.ts'
import type { DropReason } from './errors.ts'
import { hexDump } from './hex-dump.ts'
import { parsePacket } from './packet.ts'
import { errorCauseNumber } from './values.ts'
import { verifyResponse } from './verify-response.ts'

/** The retransmission schedule (RFC 5080 §2.2.1: IRT, MRT, MRC, MRD). */
export interface RetransmitSchedule {
  initialMs: number
  maxIntervalMs: number
  maxSends: number
  deadlineMs: number
}

/** RFC 5080's recommended values for dynamic authorization. */
export const RFC5080_SCHEDULE: RetransmitSchedule = { initialMs: 2000, maxIntervalMs: 16_000, maxSends: 5, deadlineMs: 30_000 }

/** One request to a NAS. */
export interface DynamicAuthorizationRequest {
  kind: 'coa' | 'disconnect'
  host: string
  port: number
  secret: Buffer
  attributes: AttributeInput[]
}

/** How it ended. */
export type DynamicAuthorizationOutcome = { kind: 'ack' } | { kind: 'nak'; errorCause: number | null } | { kind: 'timeout' }

/** The record of one exchange, for support. */
export interface DynamicAuthorizationExchange {
  kind: 'coa' | 'disconnect'
  nas: string
  request: DecodedPacket
  requestHex: string
  sentAt: string[]
  response: { decoded: DecodedPacket; hex: string; receivedAt: string } | null
  /** Datagrams from the NAS address that did not verify (forged or corrupt), by reason. */
  ignored: string[]
  outcome: DynamicAuthorizationOutcome
}

/** The client: one UDP socket for every NAS. */
export interface DynamicAuthorizationClient {
  send(request: DynamicAuthorizationRequest): Promise<DynamicAuthorizationExchange>
  close(): Promise<void>
}

interface InFlight {
  signed: SignedRequest
  secret: Buffer
  ignored: string[]
  done: (datagram: Buffer) => void
}

/** Create a client bound to an ephemeral port on `bindHost`. */
export async function createDynamicAuthorizationClient(
  options: { bindHost?: string; schedule?: RetransmitSchedule; onIgnored?: (reason: DropReason) => void } = {},
): Promise<DynamicAuthorizationClient> {
  const schedule = options.schedule ?? RFC5080_SCHEDULE
  const socket = dgram.createSocket('udp4')
  const inFlight = new Map<string, InFlight>()
  const nextId = new Map<string, number>()

  socket.on('message', (datagram, from) => {
    const id = datagram.length >= 2 ? datagram[1] : undefined
    const entry = id === undefined ? undefined : inFlight.get(`${from.address}:${from.port}:${id}`)
    if (entry === undefined) {
      options.onIgnored?.('unmatched_response')
      return
    }
    const verified = verifyResponse(datagram, entry.signed, entry.secret)
    if (!verified.ok) {
      entry.ignored.push(verified.reason)
      options.onIgnored?.(verified.reason)
      return
    }
    entry.done(datagram)
  })
  socket.on('error', () => {})
  await new Promise<void>((resolve) => socket.bind(0, options.bindHost ?? '0.0.0.0', () => resolve()))

  function allocateId(destination: string): number {
    for (let tries = 0; tries < 256; tries++) {
      const id = ((nextId.get(destination) ?? Math.floor(Math.random() * 256)) + 1) % 256
      nextId.set(destination, id)
      if (!inFlight.has(`${destination}:${id}`)) return id
    }
    throw new Error(`256 requests already in flight to ${destination}`)
  }

  return {
    async send(request) {
      const destination = `${request.host}:${request.port}`
      const identifier = allocateId(destination)
      const input = { identifier, secret: request.secret, attributes: request.attributes }
      const signed = request.kind === 'coa' ? buildCoaRequest(input) : buildDisconnectRequest(input)
      const parsedRequest = parsePacket(signed.bytes)
      const decodedRequest = parsedRequest.ok ? decodePacket(parsedRequest.packet) : ({} as DecodedPacket)
      const sentAt: string[] = []
      const ignored: string[] = []
      const key = `${destination}:${identifier}`
      const started = Date.now()
      const answer = await new Promise<Buffer | null>((resolve) => {
        let timer: NodeJS.Timeout | undefined
        let interval = schedule.initialMs
        const finish = (datagram: Buffer | null) => {
          clearTimeout(timer)
          inFlight.delete(key)
          resolve(datagram)
        }
        inFlight.set(key, { signed, secret: request.secret, ignored, done: finish })
        const transmit = () => {
          sentAt.push(new Date().toISOString())
          socket.send(signed.bytes, request.port, request.host)
          const elapsed = Date.now() - started
          const remaining = schedule.deadlineMs - elapsed
          if (sentAt.length >= schedule.maxSends || remaining <= interval) {
            timer = setTimeout(() => finish(null), Math.max(0, remaining))
            return
          }
          timer = setTimeout(transmit, interval)
          interval = Math.min(interval * 2, schedule.maxIntervalMs)
        }
        transmit()
      })
      let outcome: DynamicAuthorizationOutcome = { kind: 'timeout' }
      let response: DynamicAuthorizationExchange['response'] = null
      if (answer !== null) {
        const parsed = parsePacket(answer)
        const decoded = parsed.ok ? decodePacket(parsed.packet) : ({} as DecodedPacket)
        response = { decoded, hex: hexDump(answer), receivedAt: new Date().toISOString() }
        const ack = answer[0] === PacketCode.CoaAck || answer[0] === PacketCode.DisconnectAck
        outcome = ack ? { kind: 'ack' } : { kind: 'nak', errorCause: errorCauseNumber(firstValue(decoded, 'Error-Cause')) ?? null }
      }
      return { kind: request.kind, nas: destination, request: decodedRequest, requestHex: hexDump(signed.bytes), sentAt, response, ignored, outcome }
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}
