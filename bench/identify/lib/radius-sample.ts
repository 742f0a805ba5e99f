// A small sample of sessions recorded the real way: Accounting-Request Start packets (RFC 2866)
// sent over UDP from 127.0.0.1 to the gateway's accounting port, each answered only once stored.
// The bulk of the sessions is loaded with SQL; these show the RADIUS path yields sessions that
// identification finds like the bulk ones.
import { createSocket } from 'node:dgram'
import { encodeAttributes } from '../../../src/radius/attribute-encoder.ts'
import { requestAuthenticator, responseAuthenticator } from '../../../src/radius/authenticators.ts'
import { PacketCode } from '../../../src/radius/codes.ts'
import { layOutPacket } from '../../../src/radius/packet-writer.ts'
import { NAS, radiusSubscriber } from './sessions.ts'

/** What sending the sample did. */
export interface RadiusSampleReport {
  sent: number
  answered: number
  /** Which sample sessions (j) were answered, i.e. stored. */
  answeredIndices: number[]
  retransmissions: number
  wallMs: number
}

function startPacket(j: number, identifier: number, secret: Buffer): Buffer {
  const s = radiusSubscriber(j)
  const attributes = encodeAttributes([
    { name: 'Acct-Status-Type', value: 'Start' },
    { name: 'Acct-Session-Id', value: `radius-${j}` },
    { name: 'User-Name', value: `${s.msisdn}@bench` },
    { name: 'Calling-Station-Id', value: s.msisdn },
    { name: 'NAS-IP-Address', value: '127.0.0.1' },
    { name: 'Framed-IP-Address', value: s.address },
    { name: 'Event-Timestamp', value: Math.floor(Date.now() / 1000) },
  ])
  const { bytes } = layOutPacket(PacketCode.AccountingRequest, identifier, attributes, false)
  requestAuthenticator(bytes, secret).copy(bytes, 4)
  return bytes
}

/**
 * Send `count` Starts, at most `inFlight` unanswered at once (≤ 256: one Identifier each), each
 * retransmitted every second and given up after `giveUpMs`; no new Start after `timeLimitMs`.
 */
export async function sendRadiusSample(port: number, count: number, inFlight = 32, timeLimitMs = 15_000, giveUpMs = 8_000): Promise<RadiusSampleReport> {
  const secret = Buffer.from(NAS.secret)
  const socket = createSocket('udp4')
  await new Promise<void>((ok, fail) => socket.once('error', fail).bind(0, '127.0.0.1', ok))
  const pending = new Map<number, { bytes: Buffer; sentAt: number; tries: number; done: () => void }>()
  const report: RadiusSampleReport = { sent: 0, answered: 0, answeredIndices: [], retransmissions: 0, wallMs: 0 }
  socket.on('message', (message) => {
    const waiting = pending.get(message[1]!)
    if (waiting === undefined || message[0] !== PacketCode.AccountingResponse || message.length < 20) return
    const expected = responseAuthenticator(message, waiting.bytes.subarray(4, 20), secret)
    if (!expected.equals(message.subarray(4, 20))) return
    pending.delete(message[1]!)
    report.answered++
    waiting.done()
  })
  const send = (bytes: Buffer) => socket.send(bytes, port, '127.0.0.1')
  const start = performance.now()
  const retry = setInterval(() => {
    for (const p of pending.values()) {
      if (performance.now() - p.sentAt < 1000) continue
      p.tries++
      p.sentAt = performance.now()
      report.retransmissions++
      send(p.bytes)
    }
  }, 250)
  try {
    let next = 0
    const freeIds = Array.from({ length: Math.min(inFlight, 256) }, (_, i) => i)
    await Promise.all(
      freeIds.map(async (identifier) => {
        while (next < count && performance.now() - start < timeLimitMs) {
          const j = next++
          const bytes = startPacket(j, identifier, secret)
          const answered = new Promise<boolean>((ok) => {
            const giveUp = setTimeout(() => ok(false), giveUpMs)
            pending.set(identifier, { bytes, sentAt: performance.now(), tries: 1, done: () => (clearTimeout(giveUp), ok(true)) })
          })
          report.sent++
          send(bytes)
          if (await answered) report.answeredIndices.push(j)
          else pending.delete(identifier)
        }
      }),
    )
  } finally {
    clearInterval(retry)
    socket.close()
  }
  report.wallMs = performance.now() - start
  return report
}
