// Two gateway processes (`node src/main.ts`) on different loopback ports over one PostgreSQL
// behave as one: a session learned from accounting by one identifies the line on the other; the
// same Start arriving at both (a NAS failing over to its second accounting server) is stored once;
// voucher recharges taken by either are lifted by exactly one job run each, whichever instance
// leases it; and the wrong-PIN lockout, kept in the database, counts tries made on both.
// (The per-address HTTP rate limits are in-memory per instance by design — flood guards, each
// instance enforcing its own share — so they are not expected to add up and are not tested here.)
// Server mode only: two processes cannot share the embedded database (main.test.ts shows it refused).
import type { Socket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findAttempt } from '../../src/db/attempts.ts'
import type { Keys } from '../../src/config/keys.ts'
import { type CountingNas, startCountingNas } from '../helpers/counting-nas.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { accountingPacket, addLoopbackNas, addSuspendedLine, addVouchers, nasSocket, payVoucher, sharedSecret } from '../helpers/gateway-fixtures.ts'
import { waitFor } from '../helpers/process.ts'
import { freePort as freeUdpPort, sendAndCollect } from '../radius/helpers/udp.ts'
import { attemptIdOf, type Gateway, httpFrom, killAll, startGateway } from '../recharge/helpers/gateway-process.ts'

const SECRET = 'two-instances-secret'
const serverMode = (process.env.DATABASE_URL ?? '') !== ''
if (!serverMode) console.warn('[skipped] two-instances: needs DATABASE_URL (two processes cannot share the embedded database)')

describe.skipIf(!serverMode)('two gateway instances over one PostgreSQL', { timeout: 120_000 }, () => {
  let t: TestDatabase
  let nas: CountingNas
  let udp: Socket
  let keys: Keys
  let a: Gateway
  let b: Gateway
  const radiusPort = new Map<Gateway, number>()
  const db = () => t.handle.db

  beforeAll(async () => {
    t = await createTestDatabase()
    nas = await startCountingNas(SECRET, true)
    udp = await nasSocket()
    await addLoopbackNas(db(), 'pgw-two', SECRET, nas.port)
    const shared = sharedSecret()
    keys = shared.keys
    const start = async () => {
      const port = await freeUdpPort()
      const g = await startGateway({ DATABASE_URL: t.url!, APP_SECRET: shared.appSecret, NAS_REFRESH_MS: '200', RADIUS_ACCT_PORT: String(port) })
      radiusPort.set(g, port)
      return g
    }
    ;[a, b] = [await start(), await start()]
  }, 90_000)

  afterAll(async () => {
    await killAll()
    udp?.close()
    await nas?.close()
    await t?.destroy()
  })

  const identify = async (g: Gateway, address: string) => JSON.parse((await httpFrom(g.port, address, 'GET', '/api/v1/identify')).body) as Record<string, unknown>

  it('a session learned by one identifies the line on the other, and a Stop on the other ends it for both', async () => {
    const line = { session: 'two-1', msisdn: '8613955500001', address: '127.77.0.1' }
    expect(await identify(b, line.address)).toMatchObject({ identified: false }) // the control
    expect(await sendAndCollect(udp, radiusPort.get(a)!, accountingPacket(SECRET, 1, line), 5000)).toHaveLength(1)
    expect(await identify(b, line.address)).toMatchObject({ identified: true, line: '139****0001', how: 'address' })
    expect(await identify(a, line.address)).toMatchObject({ identified: true, line: '139****0001' })

    expect(await sendAndCollect(udp, radiusPort.get(b)!, accountingPacket(SECRET, 2, { ...line, kind: 'Stop' }), 5000)).toHaveLength(1)
    expect(await identify(a, line.address)).toMatchObject({ identified: false })
  })

  it('the same Start sent to both (NAS fail-over) is answered by both and stored once', async () => {
    const line = { session: 'two-dup', msisdn: '8613955500002', address: '127.77.0.2' }
    const packet = accountingPacket(SECRET, 3, line)
    // At the same moment, from two sockets of the same NAS, so each answer is told apart.
    const other = await nasSocket()
    try {
      const [first, second] = await Promise.all([sendAndCollect(udp, radiusPort.get(a)!, packet, 5000), sendAndCollect(other, radiusPort.get(b)!, packet, 5000)])
      expect(first).toHaveLength(1)
      expect(second).toHaveLength(1)
    } finally {
      other.close()
    }
    // And again to each, later, as a late retransmission.
    for (const g of [a, b]) expect(await sendAndCollect(udp, radiusPort.get(g)!, packet, 5000)).toHaveLength(1)
    const rows = await db().selectFrom('radiusSessions').select(['acctSessionId', 'stoppedAt']).where('acctSessionId', '=', 'two-dup').execute()
    expect(rows).toEqual([{ acctSessionId: 'two-dup', stoppedAt: null }])
  })

  it('recharges taken by either instance are lifted by exactly one job run each', async () => {
    const cards = await addVouchers(db(), keys, 'TWO', 8)
    const lines = cards.map((_, i) => ({ session: `two-job-${i}`, msisdn: `86139555001${String(i).padStart(2, '0')}`, address: `127.77.1.${i + 1}` }))
    for (const [i, line] of lines.entries()) {
      await addSuspendedLine(db(), line.msisdn)
      expect(await sendAndCollect(udp, radiusPort.get(i % 2 === 0 ? a : b)!, accountingPacket(SECRET, 10 + i, line), 5000)).toHaveLength(1)
    }
    const before = nas.requests()
    const answers = await Promise.all(lines.map((line, i) => payVoucher((i % 2 === 0 ? b : a).port, keys, line.address, cards[i]!)))
    const ids = answers.map((answer) => {
      expect(answer.status, answer.body).toBe(303)
      return attemptIdOf(answer)
    })
    await waitFor(async () => {
      const states = await Promise.all(ids.map(async (id) => (await findAttempt(db(), id))!.state))
      return states.every((s) => s === 'lifted' || s === 'confirmed')
    }, 30_000, 'every attempt lifted')

    const jobs = await db().selectFrom('jobs').select(['dedupeKey', 'tries', 'doneAt', 'lockedBy']).where('kind', '=', 'lift').execute()
    expect(jobs).toHaveLength(ids.length)
    for (const job of jobs) expect(job).toMatchObject({ tries: 1, lockedBy: null })
    expect(jobs.every((j) => j.doneAt !== null)).toBe(true)
    // One CoA per recharge reached the NAS: no job ran on both instances.
    expect(nas.requests() - before).toBe(ids.length)
    for (const id of ids) {
      const events = await db().selectFrom('attemptEvents').select('kind').where('attemptId', '=', id).where('kind', 'in', ['lifting', 'radius', 'lifted']).orderBy('id').execute()
      expect(events.map((e) => e.kind), id).toEqual(['lifting', 'radius', 'lifted'])
    }
  })

  it('the wrong-PIN lockout counts tries made on both instances', async () => {
    const line = { session: 'two-pin', msisdn: '8613955500200', address: '127.77.2.1' }
    await addSuspendedLine(db(), line.msisdn)
    expect(await sendAndCollect(udp, radiusPort.get(a)!, accountingPacket(SECRET, 40, line), 5000)).toHaveLength(1)
    const [card] = await addVouchers(db(), keys, 'PIN', 1)
    const wrong = { serial: card!.serial, pin: '1111111111' }
    // Five wrong PINs, alternating: each is taken (and declined), none refused yet.
    for (const g of [a, b, a, b, a]) expect((await payVoucher(g.port, keys, line.address, wrong)).status).toBe(303)
    // The sixth is refused on both, even with the right PIN: the count lives in the database.
    for (const g of [b, a]) {
      const refused = await payVoucher(g.port, keys, line.address, card!)
      expect(refused.status).toBe(429)
      expect(refused.body).toContain('Too many wrong PINs')
    }
    expect(await db().selectFrom('vouchers').select('status').where('serial', '=', card!.serial).executeTakeFirst()).toEqual({ status: 'unused' })
  })
})
