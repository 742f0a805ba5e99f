// Accounting load for the soak: a NAS's worth of sessions cycling Start → Interim-Update ×2 →
// Stop → a new session, paced at `ratePerS` packets per second until `durationMs`, over loopback
// UDP to whichever gateway is up. Like a NAS (RFC 2866 §2, RFC 5080 §2.2.1): one packet per
// session outstanding at a time, unanswered packets re-sent byte-identical after 2, 4 and 8 s
// (to another server when the first is down), given up 16 s after the fourth send. Every answer's
// Response Authenticator is checked. Acknowledged Starts and Stops are remembered, so the soak can
// check afterwards that what was acknowledged was stored.
import { createSocket, type Socket } from 'node:dgram'
import { signedAccountingRequest } from '../../../test/radius/helpers/accounting-request.ts'
import { digestsEqual, responseAuthenticator } from '../../../src/radius/authenticators.ts'

/** Where packets may go right now (the RADIUS ports of the instances that are up). */
export type Targets = () => number[]

/** What the accounting load did. */
export interface AccountingFigures {
  sent: number
  retransmits: number
  acked: number
  lost: number
  /** Valid answers to a packet already answered (by the other server) or given up. */
  lateAnswers: number
  /** Answers that fit no packet sent: must stay 0. */
  badAnswers: number
  ackedStarts: Set<string>
  ackedStops: Set<string>
  wallMs: number
}

interface Pending {
  slot: number
  packet: Buffer
  sessionId: string
  status: 'Start' | 'Interim-Update' | 'Stop'
  sends: number
  nextAt: number
}

// Wait after send n before the next (RFC 5080 §2.2.1: 2 s doubling); after the 4th, give up (30 s in all).
const WAIT_MS = [2000, 4000, 8000, 16000]
const SOCKETS = 16

/** Session slot k's Framed-IP (127.100+.x.y, never where servers listen) and MSISDN. */
export function accountingAddress(k: number): string {
  return `127.${100 + Math.floor(k / 65024)}.${Math.floor(k / 254) % 256}.${1 + (k % 254)}`
}
export const accountingMsisdn = (k: number) => `86150${String(k).padStart(8, '0')}`

/** Run the load; resolves when `durationMs` has passed and the last packets were answered or given up. */
export async function runAccountingLoad(options: { targets: Targets; secret: string; ratePerS: number; sessions: number; durationMs: number }): Promise<AccountingFigures> {
  const secret = Buffer.from(options.secret)
  const figures: AccountingFigures = { sent: 0, retransmits: 0, acked: 0, lost: 0, lateAnswers: 0, badAnswers: 0, ackedStarts: new Set(), ackedStops: new Set(), wallMs: 0 }
  const sockets: Socket[] = []
  const pending: Map<number, Pending>[] = []
  const previousBySocket: Map<number, Buffer>[] = []
  const step = new Array<number>(options.sessions).fill(0) // 0 Start, 1–2 Interim, 3 Stop
  const generation = new Array<number>(options.sessions).fill(0)
  const busy = new Set<number>()
  let rr = 0
  const target = () => {
    const ports = options.targets()
    return ports.length === 0 ? undefined : ports[rr++ % ports.length]
  }

  for (let s = 0; s < SOCKETS; s++) {
    const socket = createSocket('udp4')
    const table = new Map<number, Pending>()
    // The previous packet under each Identifier: a second server's answer to a re-sent packet can
    // arrive after the Identifier was reused, and is late, not bad.
    const previous = new Map<number, Buffer>()
    const answers = (answer: Buffer, request: Buffer | undefined) =>
      request !== undefined && answer[0] === 5 && digestsEqual(responseAuthenticator(answer, request, secret), answer.subarray(4, 20))
    socket.on('message', (answer) => {
      if (answer.length < 20) return void figures.badAnswers++
      const p = table.get(answer[1]!)
      if (p === undefined || !answers(answer, p.packet.subarray(4, 20))) {
        if (answers(answer, previous.get(answer[1]!))) figures.lateAnswers++
        else figures.badAnswers++
        return
      }
      table.delete(answer[1]!)
      previous.set(answer[1]!, Buffer.from(p.packet.subarray(4, 20)))
      figures.acked++
      if (p.status === 'Start') figures.ackedStarts.add(p.sessionId)
      if (p.status === 'Stop') figures.ackedStops.add(p.sessionId)
      advance(p.slot)
    })
    await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', ok))
    sockets.push(socket)
    pending.push(table)
    previousBySocket.push(previous)
  }

  function advance(slot: number): void {
    busy.delete(slot)
    step[slot] = (step[slot]! + 1) % 4
    if (step[slot] === 0) generation[slot]!++
  }

  function build(slot: number, identifier: number): Pending {
    const status = (['Start', 'Interim-Update', 'Interim-Update', 'Stop'] as const)[step[slot]!]!
    const sessionId = `soak-${slot}-${generation[slot]}`
    const attributes = [
      { name: 'Acct-Status-Type', value: status },
      { name: 'Acct-Session-Id', value: sessionId },
      { name: 'User-Name', value: `${accountingMsisdn(slot)}@soak` },
      { name: 'Calling-Station-Id', value: accountingMsisdn(slot) },
      { name: 'Called-Station-Id', value: 'soak' },
      { name: 'Framed-IP-Address', value: accountingAddress(slot) },
      { name: 'NAS-IP-Address', value: '127.0.0.1' },
      { name: 'Acct-Session-Time', value: 60 * step[slot]! },
      { name: 'Event-Timestamp', value: Math.floor(Date.now() / 1000) },
    ]
    const packet = signedAccountingRequest({ identifier, secret, attributes, messageAuthenticator: true })
    return { slot, packet, sessionId, status, sends: 0, nextAt: 0 }
  }

  function send(socketIndex: number, p: Pending): void {
    const port = target()
    p.sends++
    p.nextAt = Date.now() + WAIT_MS[p.sends - 1]!
    if (port !== undefined) sockets[socketIndex]!.send(p.packet, port, '127.0.0.1')
  }

  const start = Date.now()
  const deadline = start + options.durationMs
  let credit = 0
  let nextSlot = 0
  let lastTick = start
  while (Date.now() < deadline || pending.some((t) => t.size > 0)) {
    const now = Date.now()
    if (now < deadline) credit = Math.min(credit + ((now - lastTick) * options.ratePerS) / 1000, options.ratePerS)
    lastTick = now
    // New packets: idle sessions in turn, each on a socket with a free Identifier.
    for (let tries = 0; credit >= 1 && tries < options.sessions; tries++) {
      const slot = nextSlot
      nextSlot = (nextSlot + 1) % options.sessions
      if (busy.has(slot)) continue
      const s = pending.findIndex((t) => t.size < 256)
      if (s < 0) break
      let id = Math.floor(Math.random() * 256)
      while (pending[s]!.has(id)) id = (id + 1) % 256
      const p = build(slot, id)
      pending[s]!.set(id, p)
      busy.add(slot)
      send(s, p)
      figures.sent++
      credit--
    }
    // Retransmissions and give-ups.
    for (let s = 0; s < SOCKETS; s++) {
      for (const [id, p] of pending[s]!) {
        if (p.nextAt > now) continue
        if (p.sends >= WAIT_MS.length) {
          pending[s]!.delete(id)
          previousBySocket[s]!.set(id, Buffer.from(p.packet.subarray(4, 20)))
          figures.lost++
          advance(p.slot)
          continue
        }
        figures.retransmits++
        send(s, p)
      }
    }
    await new Promise((ok) => setTimeout(ok, 10))
  }
  figures.wallMs = Date.now() - start
  for (const socket of sockets) socket.close()
  return figures
}
