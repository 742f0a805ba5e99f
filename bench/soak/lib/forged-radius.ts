// Forged accounting for the soak: well-formed Accounting-Requests from an allowed NAS address
// whose Request Authenticator is 16 random octets (what an attacker without the secret can send),
// paced and bounded. An answer to any of them means the gateway accepted a forgery; their
// Acct-Session-Ids ("forged-…") must never reach the database either.
import { randomBytes } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { signedAccountingRequest } from '../../../test/radius/helpers/accounting-request.ts'
import type { Targets } from './accounting-load.ts'

/** What the forged load did. */
export interface ForgedFigures {
  sent: number
  answered: number
}

/** Send forged packets at `ratePerS` until `durationMs`, then listen 2 s more for late answers. */
export async function runForgedLoad(options: { targets: Targets; ratePerS: number; durationMs: number }): Promise<ForgedFigures> {
  const figures: ForgedFigures = { sent: 0, answered: 0 }
  const socket = createSocket('udp4')
  socket.on('message', () => figures.answered++)
  await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', ok))
  const secret = randomBytes(16) // not the NAS's: only the layout is real
  const deadline = Date.now() + options.durationMs
  let n = 0
  while (Date.now() < deadline) {
    for (const port of options.targets()) {
      const packet = signedAccountingRequest({
        identifier: n & 0xff,
        secret,
        messageAuthenticator: true,
        attributes: [
          { name: 'Acct-Status-Type', value: 'Start' },
          { name: 'Acct-Session-Id', value: `forged-${n}` },
          { name: 'Calling-Station-Id', value: `86188${String(n % 1e8).padStart(8, '0')}` },
          { name: 'Framed-IP-Address', value: `127.99.${(n >> 8) & 0xff}.${1 + (n % 254)}` },
          { name: 'Event-Timestamp', value: Math.floor(Date.now() / 1000) },
        ],
      })
      randomBytes(16).copy(packet, 4)
      socket.send(packet, port, '127.0.0.1')
      figures.sent++
      n++
    }
    await new Promise((ok) => setTimeout(ok, 1000 / options.ratePerS))
  }
  await new Promise((ok) => setTimeout(ok, 2000))
  socket.close()
  return figures
}
