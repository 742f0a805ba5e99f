// RADIUS accounting server (RFC 2866) on UDP. For each datagram: known NAS by source address
// (RFC 2865 §3), duplicate check (RFC 5080 §2.2.2), structure and authenticity (verify-request.ts),
// decode, then the handler stores it; the Accounting-Response goes out only after the handler
// resolves, i.e. after what the packet says is durable (RFC 2866 §2: no answer if not recorded).
// Nothing a datagram contains can throw out of the socket handler; every drop is counted.
import dgram from 'node:dgram'
import type { Logger } from 'pino'
import { createRateLimitedLog } from '../logging/rate-limited.ts'
import { buildAccountingResponse } from './build-response.ts'
import { PacketCode } from './codes.ts'
import { type DecodedPacket, decodePacket } from './decode.ts'
import { createDuplicateCache } from './duplicate-cache.ts'
import type { NasDirectory, NasEntry } from './nas-directory.ts'
import type { RadiusMetrics } from './radius-metrics.ts'
import { type VerifiedRequest, verifyRequest } from './verify-request.ts'

/** One verified Accounting-Request handed to the application. */
export interface AccountingRequest {
  readonly nas: NasEntry
  readonly packet: VerifiedRequest
  readonly decoded: DecodedPacket
  readonly source: { readonly address: string; readonly port: number }
  readonly receivedAt: Date
}

/** The handler's verdict: answer the NAS, or drop the packet for a reason (no answer). */
export type AccountingVerdict = { answer: true; outcome: string; statusType: string } | { answer: false; reason: string; detail: string }

/** What the server needs. */
export interface AccountingServerOptions {
  host: string
  port: number
  directory: NasDirectory
  /** Store the request; resolve once durable. A rejection means "not stored": no answer. */
  handle(request: AccountingRequest): Promise<AccountingVerdict>
  /**
   * A verdict without decoding the attributes, when the application can map the raw packet from
   * what it decoded before; undefined to go the full way (decode, then handle).
   */
  quick?(request: Omit<AccountingRequest, 'decoded'>): Promise<AccountingVerdict> | undefined
  log: Logger
  metrics: RadiusMetrics
  duplicateWindowMs?: number
}

/** A running accounting server. */
export interface AccountingServer {
  address(): { address: string; port: number }
  /** Requests received and not yet answered or dropped. */
  inFlight(): number
  /** Stop receiving, let in-flight requests finish (up to `graceMs`), close the socket. */
  close(graceMs?: number): Promise<void>
}

const RECV_BUFFER = 4 * 1024 * 1024
const SEND_BUFFER = 4 * 1024 * 1024

/** Bind the socket and start serving. */
export async function startAccountingServer(options: AccountingServerOptions): Promise<AccountingServer> {
  const { directory, metrics, log } = options
  const socket = dgram.createSocket({ type: options.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: RECV_BUFFER, sendBufferSize: SEND_BUFFER })
  const duplicates = createDuplicateCache(options.duplicateWindowMs ?? 30_000, 200_000)
  const limited = createRateLimitedLog(log)
  let inFlight = 0
  let closing = false
  let idle: (() => void) | undefined

  function drop(reason: string, detail: string, source: dgram.RemoteInfo, nas?: NasEntry): void {
    metrics.drops.inc({ reason })
    limited.warn(`drop:${reason}`, { reason, detail, source: source.address, nas: nas?.name }, 'dropped accounting packet')
  }

  // No callback: Node then tries a synchronous send first (uv_udp_try_send) instead of queueing a
  // request and a completion per datagram, which was the largest cost of an unchanged Interim.
  // A failed send surfaces as the socket's 'error' event below.
  function send(response: Buffer, source: dgram.RemoteInfo): void {
    socket.send(response, source.port, source.address)
  }

  async function receive(datagram: Buffer, source: dgram.RemoteInfo): Promise<void> {
    const started = performance.now()
    if (closing) return drop('shutting_down', 'server is stopping', source)
    const nas = directory.find(source.address)
    if (nas === undefined) return drop('unknown_client', 'source address is not a configured NAS', source)
    // Header fields for the duplicate key are read only when present; parsing proper comes next.
    const key = datagram.length >= 20 ? `${source.address}|${source.port}|${datagram[1]}|${datagram.subarray(4, 20).toString('hex')}` : ''
    const verified = verifyRequest(datagram, nas.secret, {
      requireMessageAuthenticator: nas.requireMessageAuthenticator,
      codes: [PacketCode.AccountingRequest],
    })
    if (!verified.ok) return drop(verified.reason, verified.detail, source, nas)
    const seen = duplicates.check(key)
    if (seen.kind === 'answered') {
      metrics.duplicates.inc({ kind: 'answered_again' })
      return send(seen.response, source)
    }
    if (seen.kind === 'in-flight') {
      metrics.duplicates.inc({ kind: 'ignored_in_flight' })
      return
    }
    const base = { nas, packet: verified.packet, source: { address: source.address, port: source.port }, receivedAt: new Date() }
    let pending = options.quick?.(base)
    if (pending === undefined) {
      let decoded: DecodedPacket
      try {
        decoded = decodePacket(verified.packet)
      } catch (err) {
        duplicates.forget(key)
        return drop('malformed', `undecodable attributes: ${(err as Error).message}`, source, nas)
      }
      pending = options.handle({ ...base, decoded })
    }
    let verdict: AccountingVerdict
    try {
      verdict = await pending
    } catch (err) {
      duplicates.forget(key)
      metrics.drops.inc({ reason: 'not_stored' })
      limited.warn('not_stored', { err: (err as Error).message, nas: nas.name }, 'accounting record not stored; not answering so the NAS retransmits')
      return
    }
    if (!verdict.answer) {
      duplicates.forget(key)
      return drop(verdict.reason, verdict.detail, source, nas)
    }
    const response = buildAccountingResponse(verified.packet, nas.secret)
    duplicates.answered(key, response)
    metrics.requests.inc({ status_type: verdict.statusType, outcome: verdict.outcome })
    metrics.ackSeconds.observe((performance.now() - started) / 1000)
    send(response, source)
  }

  socket.on('message', (datagram, source) => {
    inFlight++
    receive(datagram, source)
      .catch((err: unknown) => {
        // Unreachable by design; a bug still must not take the socket down.
        metrics.drops.inc({ reason: 'internal_error' })
        limited.warn('internal', { err: (err as Error).message }, 'accounting handler failed')
      })
      .finally(() => {
        inFlight--
        if (inFlight === 0 && idle) idle()
      })
  })
  socket.on('error', (err) => limited.warn('socket', { err: err.message }, 'accounting socket error'))

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind({ address: options.host, port: options.port, exclusive: true }, () => {
      socket.off('error', reject)
      resolve()
    })
  })

  return {
    address: () => socket.address(),
    inFlight: () => inFlight,
    async close(graceMs = 5000) {
      closing = true
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((resolve) => (idle = resolve)), new Promise((resolve) => setTimeout(resolve, graceMs).unref())])
      }
      await new Promise<void>((resolve) => socket.close(() => resolve()))
    },
  }
}
