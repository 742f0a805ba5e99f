// The real gateway process while its PostgreSQL goes away (a TCP proxy cut: connections reset,
// new ones refused) and while its connections are killed every 1.5 s (pg_terminate_backend): the
// process never exits; accounting is not acknowledged while it cannot be stored (so the NAS
// retransmits) and each record is stored exactly once afterwards; /portal serves the degraded page
// with the offline ways to recharge instead of an error; a job enqueued meanwhile runs afterwards;
// /readyz says not ready during the outage and ready after it.
// Server mode only: cutting a connection needs a server to cut (the embedded database lives inside the process).
import type { Socket } from 'node:dgram'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redeemVoucher, lockoutSubjects } from '../../src/adapters/payment/voucher-payment.ts'
import type { Keys } from '../../src/config/keys.ts'
import { findAttempt } from '../../src/db/attempts.ts'
import { type CountingNas, startCountingNas } from '../helpers/counting-nas.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { accountingPacket, addLoopbackNas, addSuspendedLine, addVouchers, nasSocket, sharedSecret } from '../helpers/gateway-fixtures.ts'
import { type PgProxy, startPgProxy } from '../helpers/pg-proxy.ts'
import { waitFor } from '../helpers/process.ts'
import { freePort as freeUdpPort, sendAndCollect } from '../radius/helpers/udp.ts'
import { type Gateway, httpFrom, killAll, startGateway } from '../recharge/helpers/gateway-process.ts'

const SECRET = 'faults-secret'
const APP_NAME = 'rg-faults-gateway'
const serverMode = (process.env.DATABASE_URL ?? '') !== ''
if (!serverMode) console.warn('[skipped] database-faults: needs DATABASE_URL (the embedded database cannot be cut away from its own process)')

const OFFLINE = ['Dial *100#', 'Text CZ to 10086', 'Call 10086']

describe.skipIf(!serverMode)('the gateway process through database faults', { timeout: 180_000 }, () => {
  let t: TestDatabase
  let proxy: PgProxy
  let nas: CountingNas
  let udp: Socket
  let keys: Keys
  let g: Gateway
  let radiusPort: number
  let nasId: number
  let cards: { serial: string; pin: string }[]
  const db = () => t.handle.db
  const home = { session: 'faults-home', msisdn: '8613966600001', address: '127.78.0.1' }

  beforeAll(async () => {
    t = await createTestDatabase()
    proxy = await startPgProxy(t.url!)
    nas = await startCountingNas(SECRET, true)
    udp = await nasSocket()
    nasId = await addLoopbackNas(db(), 'pgw-faults', SECRET, nas.port)
    const shared = sharedSecret()
    keys = shared.keys
    cards = await addVouchers(db(), keys, 'FLT', 4)
    await addSuspendedLine(db(), home.msisdn)
    radiusPort = await freeUdpPort()
    g = await startGateway({ DATABASE_URL: `${proxy.url}?application_name=${APP_NAME}`, APP_SECRET: shared.appSecret, NAS_REFRESH_MS: '200', RADIUS_ACCT_PORT: String(radiusPort) })
    expect(await sendAndCollect(udp, radiusPort, accountingPacket(SECRET, 1, home), 5000)).toHaveLength(1)
  }, 90_000)

  afterAll(async () => {
    await killAll()
    udp?.close()
    await nas?.close()
    await proxy?.close()
    await t?.destroy()
  })

  const alive = () => g.run.child.exitCode === null && g.run.child.signalCode === null
  const status = async (path: string) => (await httpFrom(g.port, home.address, 'GET', path)).status
  const portal = () => httpFrom(g.port, home.address, 'GET', '/portal?lang=en')

  /** A credited voucher recharge for `msisdn`, made straight in the database (the gateway's own code path), with its lift job due. */
  async function creditedWithLiftDue(msisdn: string, address: string, card: { serial: string; pin: string }): Promise<string> {
    const { attempt, outcome } = await redeemVoucher(db(), {
      attempt: { msisdn, sourceAddress: address, realm: 'default', identifiedHow: 'address', continueUrl: null },
      createdDetail: {},
      serial: card.serial,
      pin: card.pin,
      pinKey: keys.voucherPin,
      subjects: lockoutSubjects(msisdn, address),
    })
    expect(outcome.kind).toBe('credited')
    return attempt.id
  }

  /** Send `packet` as a NAS does: again (same bytes) every `everyMs` until answered or `ms` pass. */
  async function retransmitUntilAnswered(packet: Buffer, ms: number, everyMs = 1000): Promise<boolean> {
    const socket = await nasSocket()
    try {
      const deadline = Date.now() + ms
      while (Date.now() < deadline) if ((await sendAndCollect(socket, radiusPort, packet, everyMs, 0)).length > 0) return true
      return false
    } finally {
      socket.close()
    }
  }

  it('while PostgreSQL is unreachable: alive, accounting unanswered, degraded portal with the offline ways, not ready; afterwards all stored once and the job runs', async () => {
    const before = await portal()
    expect(before.status).toBe(200)
    expect(before.body).toContain('139****0001') // the control: identified while the database answers
    expect(await status('/readyz')).toBe(200)
    const liftsBefore = nas.requests()

    await proxy.cut()
    await waitFor(async () => (await status('/readyz')) === 503, 10_000, '/readyz to say not ready')
    expect(await status('/healthz')).toBe(200)

    const degraded = await portal()
    expect(degraded.status).toBe(200)
    expect(degraded.body).toContain('We cannot check your line right now')
    for (const way of OFFLINE) expect(degraded.body).toContain(way)
    expect(degraded.body).not.toContain('139****0001')

    const during = [1, 2].map((i) => accountingPacket(SECRET, 10 + i, { session: `faults-outage-${i}`, msisdn: `86139666001${i}0`, address: `127.78.1.${i}` }))
    for (const packet of during) expect(await sendAndCollect(udp, radiusPort, packet, 2000)).toEqual([])

    // Meanwhile a recharge is credited elsewhere (another instance): its lift job waits in the table.
    const other = { msisdn: '8613966600300', address: '127.78.3.1' }
    await addSuspendedLine(db(), other.msisdn)
    await db().insertInto('radiusSessions').values({ nasId, realm: 'default', acctSessionId: 'faults-other', msisdn: other.msisdn, framedIp: other.address, startedAt: new Date(), lastSeenAt: new Date() }).execute()
    const attemptId = await creditedWithLiftDue(other.msisdn, other.address, cards[0]!)

    await new Promise((r) => setTimeout(r, 3000)) // an outage of several seconds, with the job due
    expect((await findAttempt(db(), attemptId))!.state).toBe('credited')
    expect(await status('/readyz')).toBe(503)
    expect(alive()).toBe(true)

    await proxy.restore()
    for (const packet of during) expect(await retransmitUntilAnswered(packet, 20_000)).toBe(true)
    // A late retransmission once more: answered, not stored again.
    for (const packet of during) expect(await sendAndCollect(udp, radiusPort, packet, 5000)).toHaveLength(1)
    const rows = await db().selectFrom('radiusSessions').select('acctSessionId').where('acctSessionId', 'like', 'faults-outage-%').orderBy('acctSessionId').execute()
    expect(rows.map((r) => r.acctSessionId)).toEqual(['faults-outage-1', 'faults-outage-2'])

    await waitFor(async () => (await findAttempt(db(), attemptId))!.state === 'lifted', 30_000, 'the lift job to run after the outage')
    expect(nas.requests() - liftsBefore).toBe(1)
    await waitFor(async () => (await status('/readyz')) === 200, 10_000, '/readyz to say ready again')
    expect((await portal()).body).toContain('139****0001')
    expect(alive()).toBe(true)
  })

  it('while its connections are killed every 1.5 s: alive, every record stored once, the portal never errs, the job runs, ready afterwards', async () => {
    const kills: number[] = []
    let stop = false
    const killer = (async () => {
      for (let round = 0; round < 6 && !stop; round++) {
        const killed = await sql<{ n: number }>`
          select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = ${APP_NAME}`.execute(db())
        kills.push(killed.rows[0]!.n)
        await new Promise((r) => setTimeout(r, 1500))
      }
    })()

    const other = { msisdn: '8613966600400', address: '127.78.4.1' }
    await addSuspendedLine(db(), other.msisdn)
    await db().insertInto('radiusSessions').values({ nasId, realm: 'default', acctSessionId: 'faults-other-2', msisdn: other.msisdn, framedIp: other.address, startedAt: new Date(), lastSeenAt: new Date() }).execute()
    const attemptId = await creditedWithLiftDue(other.msisdn, other.address, cards[1]!)

    const packets = Array.from({ length: 30 }, (_, i) => accountingPacket(SECRET, 100 + i, { session: `faults-kill-${i}`, msisdn: `8613966605${String(i).padStart(2, '0')}`, address: `127.78.5.${i + 1}` }))
    const statuses: number[] = []
    const browsing = (async () => {
      while (!stop) {
        const answer = await portal()
        statuses.push(answer.status)
        if (answer.status === 200 && !answer.body.includes('139****0001')) for (const way of OFFLINE) expect(answer.body).toContain(way)
        await new Promise((r) => setTimeout(r, 250)) // under /portal's 60 a minute per address
      }
    })()
    const began = Date.now()
    const answeredAfter = await Promise.all(packets.map(async (packet, i) => {
      await new Promise((r) => setTimeout(r, i * 250)) // spread over the 9 s of killing
      const sent = Date.now()
      return (await retransmitUntilAnswered(packet, 30_000)) ? `${i}: sent at +${sent - began} ms, answered after ${Date.now() - sent} ms` : `${i}: sent at +${sent - began} ms, NOT ANSWERED`
    }))
    const answered = answeredAfter.map((a) => !a.endsWith('NOT ANSWERED'))
    await killer
    stop = true
    await browsing

    expect(kills.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0) // the gateway's connections really were killed
    expect(answered.every(Boolean), answeredAfter.join('\n')).toBe(true)
    const rows = await db().selectFrom('radiusSessions').select('acctSessionId').where('acctSessionId', 'like', 'faults-kill-%').execute()
    expect(rows).toHaveLength(packets.length)
    expect(statuses.length).toBeGreaterThan(10)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    await waitFor(async () => (await findAttempt(db(), attemptId))!.state === 'lifted', 30_000, 'the lift job to run')
    await waitFor(async () => (await status('/readyz')) === 200, 10_000, '/readyz to say ready')
    expect(alive()).toBe(true)
  })
})
