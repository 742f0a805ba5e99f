// A forger who does not know the shared secret: 2,000,000 Accounting-Requests whose Request
// Authenticator (and, for a share, Message-Authenticator) are random bytes go through the
// verification the accounting server runs on every datagram → none accepted. Then a bounded share
// goes over real UDP to the real accounting stack: no answer to any of them, every one counted as
// a drop, nothing stored — while a genuine packet sent after them is answered and stored.
import { randomFillSync } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyRequest } from '../../src/radius/verify-request.ts'
import { type AccountingStack, startAccountingStack } from '../helpers/accounting.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { signedAccountingRequest, startAttributes } from './helpers/accounting-request.ts'
import { sendAndCollect } from './helpers/udp.ts'

const SECRET = Buffer.from('testing123')
const FORGED = Number(process.env.RADIUS_FORGED_PACKETS ?? 2_000_000)
const OVER_UDP = 20_000

/** Genuine packets of several shapes; forgeries are these with their authenticators replaced. */
function templates(): { bytes: Buffer; maOffset: number | undefined }[] {
  const shapes = [
    { identifier: 1, attributes: startAttributes() },
    { identifier: 2, attributes: startAttributes({ 'Acct-Status-Type': 'Interim-Update', 'Acct-Session-Id': 'forged-2' }) },
    { identifier: 3, attributes: startAttributes({ 'Acct-Status-Type': 'Stop', 'Acct-Session-Id': 'forged-3' }), messageAuthenticator: true },
    { identifier: 4, attributes: startAttributes({ 'Acct-Session-Id': 'forged-4', 'Framed-IP-Address': '10.9.0.4' }), messageAuthenticator: true },
  ]
  return shapes.map((s) => {
    const bytes = signedAccountingRequest({ secret: SECRET, ...s })
    return { bytes, maOffset: s.messageAuthenticator ? bytes.length - 16 : undefined }
  })
}

/** Forgery n: template n mod 4 with a random Request Authenticator (and random Message-Authenticator on odd n). */
function forge(template: { bytes: Buffer; maOffset: number | undefined }, random: Buffer, at: number, n: number): Buffer {
  const packet = Buffer.from(template.bytes)
  random.copy(packet, 4, at, at + 16)
  if (template.maOffset !== undefined && n % 2 === 1) random.copy(packet, template.maOffset, at + 16, at + 32)
  return packet
}

describe('forged accounting packets', () => {
  it(`${FORGED.toLocaleString('en')} random-authenticator packets through verifyRequest: 0 accepted`, { timeout: 300_000 }, () => {
    const shapes = templates()
    // The control: the untouched packets verify, so a check that accepts nothing would be noticed.
    for (const s of shapes) expect(verifyRequest(s.bytes, SECRET, { requireMessageAuthenticator: false }).ok).toBe(true)

    const batch = 65_536
    const random = Buffer.alloc(batch * 32)
    let accepted = 0
    let checked = 0
    const reasons = new Map<string, number>()
    for (let done = 0; done < FORGED; done += batch) {
      randomFillSync(random)
      const n = Math.min(batch, FORGED - done)
      for (let i = 0; i < n; i++) {
        const template = shapes[(done + i) % shapes.length]!
        const verdict = verifyRequest(forge(template, random, i * 32, done + i), SECRET, { requireMessageAuthenticator: template.maOffset !== undefined })
        checked++
        if (verdict.ok) accepted++
        else reasons.set(verdict.reason, (reasons.get(verdict.reason) ?? 0) + 1)
      }
    }
    expect(checked).toBe(FORGED)
    expect(accepted).toBe(0)
    expect([...reasons.keys()]).toEqual(['bad_authenticator'])
  })

  describe('over real UDP to the accounting server', () => {
    let t: TestDatabase
    let stack: AccountingStack
    let nas: Socket
    let answers = 0

    beforeAll(async () => {
      t = await createTestDatabase()
      await t.handle.db
        .insertInto('nasClients')
        .values({ name: 'pgw-forged', address: '127.0.0.1', secret: SECRET.toString(), realm: 'default', requireMessageAuthenticator: false, coaHost: null, coaPort: 3799, liftProfile: 'coa' })
        .execute()
      stack = await startAccountingStack(t.handle.db)
      nas = createSocket('udp4')
      nas.on('message', () => answers++)
      await new Promise<void>((resolve) => nas.bind(0, '127.0.0.1', () => resolve()))
    })
    afterAll(async () => {
      nas?.close()
      await stack?.close()
      await t?.destroy()
    })

    it(`${OVER_UDP.toLocaleString('en')} forgeries: no answer, all dropped as bad_authenticator, nothing stored; a genuine packet still is`, { timeout: 120_000 }, async () => {
      const shapes = templates()
      const random = randomFillSync(Buffer.alloc(OVER_UDP * 32))
      // In bursts the socket buffers hold, each waited for until the server has counted it.
      const burst = 500
      for (let sent = 0; sent < OVER_UDP; sent += burst) {
        for (let i = sent; i < sent + burst; i++) nas.send(forge(shapes[i % shapes.length]!, random, i * 32, i), stack.port, '127.0.0.1')
        const deadline = Date.now() + 10_000
        while ((await stack.count('drops', { reason: 'bad_authenticator' })) < sent + burst && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      }
      expect(await stack.count('drops', { reason: 'bad_authenticator' })).toBe(OVER_UDP)
      await new Promise((r) => setTimeout(r, 300)) // a late answer would arrive by now
      expect(answers).toBe(0)
      expect(await t.handle.db.selectFrom('radiusSessions').select('id').execute()).toEqual([])

      const genuine = signedAccountingRequest({ secret: SECRET, identifier: 9, attributes: startAttributes({ 'Acct-Session-Id': 'genuine-after-flood' }) })
      expect(await sendAndCollect(nas, stack.port, genuine, 5000)).toHaveLength(1)
      const rows = await t.handle.db.selectFrom('radiusSessions').select('acctSessionId').execute()
      expect(rows.map((r) => r.acctSessionId)).toEqual(['genuine-after-flood'])
    })
  })
})
