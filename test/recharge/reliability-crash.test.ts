// kill -9 of the real gateway process (`node src/main.ts`, server mode) at each step of the voucher
// flow, then a restart: every paid attempt is credited exactly once, its voucher used once, and
// the line ends lifted — or failed and flagged for support when its NAS never answers. FreeRADIUS
// plays the NAS (ACKs every CoA); a silent UDP socket plays a NAS that never answers.
//   (a) killed right after the voucher POST was answered: credited, lift job queued, not yet run
//       (the worker's 4 slots — JOB_CONCURRENCY=4 here — are held by lifts hanging on the silent NAS, so "not yet run" is
//       a fact, not a race);
//   (b) killed while lift jobs run (retransmitting to the silent NAS); the NAS is then repointed
//       to FreeRADIUS (nas_clients.coa_port) before the restart;
//   (c) killed after the lifts;
//   (d) killed with a voucher POST in flight: inside the redeem transaction (held on a row lock
//       the test owns) and at random moments — the payment either fully happened or not at all.
// The tests run in order and share one database; each says which state it starts from.
import { randomBytes } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'
import { sql } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashVoucherPin } from '../../src/adapters/payment/voucher-pin.ts'
import { deriveKeys } from '../../src/config/keys.ts'
import { attemptEvents, findAttempt } from '../../src/db/attempts.ts'
import type { AttemptState } from '../../src/db/schema.ts'
import { issueFormToken } from '../../src/http/portal/form-token.ts'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { freeradiusPath, peerAvailable } from '../helpers/peers.ts'
import { waitFor } from '../helpers/process.ts'
import { type FreeRadius, startFreeRadius } from '../radius/helpers/freeradius.ts'
import { type Answer, attemptIdOf, type Gateway, httpFrom, killAll, startGateway } from './helpers/gateway-process.ts'
import { creditEntriesByAttempt, ledgerImbalances, orphanEvents } from './helpers/ledger-audit.ts'
import { seededRandom } from './helpers/load.ts'

const serverMode = (process.env.DATABASE_URL ?? '') !== ''
if (!serverMode) {
  console.warn(
    '[skipped] reliability-crash: needs DATABASE_URL. The embedded PGlite lives inside the gateway process and kill -9 ' +
      'may corrupt its data directory, so crash/restart is only tested against a PostgreSQL server (the CI run with DATABASE_URL covers it).',
  )
}
const binary = serverMode ? freeradiusPath() : undefined
const runnable = serverMode && peerAvailable('FreeRADIUS server', binary ? undefined : 'freeradius not installed (apt-get install freeradius)')

const SECRET = 'crash-coa-secret'
const APP_SECRET = randomBytes(32).toString('base64url')
const keys = deriveKeys(APP_SECRET)
const VOUCHER_MINOR = 5000
const OPENING_MINOR = -1000
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 2 ** 31)
const CREDITED: AttemptState[] = ['credited', 'lifting', 'lifted', 'confirmed', 'failed']

type NasName = 'nas-radius' | 'nas-flaky' | 'nas-dead'
interface Line {
  msisdn: string
  address: string
  nas: NasName
}

describe.skipIf(!runnable)('kill -9 of the gateway at each step of the voucher flow, then restart', () => {
  let t: TestDatabase
  let radius: FreeRadius
  let silent: Socket
  const silentRequests = new Map<string, number>() // first 20 bytes (code, id, length, authenticator) → sends
  const nasIds: Partial<Record<NasName, number>> = {}
  let env: Record<string, string>
  let nextHost = 10
  let nextVoucher = 0
  let survivor: Gateway | undefined // the gateway left running by one step for the next
  const db = () => t.handle.db

  beforeAll(async () => {
    console.log(`[reliability-crash] seed=${SEED} (RELIABILITY_SEED replays the kill moments)`)
    t = await createTestDatabase()
    radius = await startFreeRadius(binary!, SECRET)
    silent = createSocket('udp4')
    silent.on('message', (m) => {
      const key = m.subarray(0, 20).toString('hex')
      silentRequests.set(key, (silentRequests.get(key) ?? 0) + 1)
    })
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()))
    const nas = await db()
      .insertInto('nasClients')
      .values([
        { name: 'nas-radius', address: '10.255.1.0/24', secret: SECRET, realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: radius.port, liftProfile: 'coa' },
        { name: 'nas-flaky', address: '10.255.2.0/24', secret: SECRET, realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: silent.address().port, liftProfile: 'coa' },
        // Disconnect only: one 30 s exchange before "failed", instead of CoA 30 s + Disconnect 30 s.
        { name: 'nas-dead', address: '10.255.3.0/24', secret: SECRET, realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: silent.address().port, liftProfile: 'disconnect' },
      ])
      .returning(['id', 'name'])
      .execute()
    for (const n of nas) nasIds[n.name as NasName] = n.id
    const batch = await db().insertInto('voucherBatches').values({ name: 'crash-50', valueMinor: VOUCHER_MINOR, currency: 'CNY' }).returning('id').executeTakeFirstOrThrow()
    await db()
      .insertInto('vouchers')
      .values(Array.from({ length: 40 }, (_, i) => ({ serial: `C-${1000 + i}`, batchId: batch.id, pinHash: hashVoucherPin(keys.voucherPin, `C-${1000 + i}`, `7777${1000 + i}`), status: 'unused' as const })))
      .execute()
    // The voucher key is derived from APP_SECRET exactly as the gateway derives it.
    // Four job slots, so four hung lifts make "queued, not yet run" a fact rather than a race, and
    // a lease long enough that the restart below is sure to find the killed worker's leases held.
    env = { DATABASE_URL: t.url!, APP_SECRET, NAS_REFRESH_MS: '200', JOB_CONCURRENCY: '4', JOB_LEASE_MS: '60000' }
  }, 60_000)

  afterAll(async () => {
    await killAll()
    silent?.close()
    await radius?.stop()
    await t?.destroy()
  })

  /** A suspended line in arrears (opened through the ledger) with an accounting session at 127.0.0.<n>. */
  async function suspendedLine(nas: NasName): Promise<Line> {
    const n = nextHost++
    const msisdn = `861390${String(n).padStart(7, '0')}`
    const address = `127.0.0.${n}`
    await db().insertInto('lines').values({ msisdn, balanceMinor: OPENING_MINOR, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 }).execute()
    await db().insertInto('ledgerEntries').values({ msisdn, amountMinor: OPENING_MINOR, currency: 'CNY', kind: 'opening', idempotencyKey: `opening:${msisdn}`, reference: 'test' }).execute()
    await createSessionRecorder(db(), { touchAfterMs: 0 }).record({
      kind: 'start', nasId: nasIds[nas]!, realm: 'default', acctSessionId: `crash-${n}`, msisdn, imsi: null,
      framedIp: address, framedIpv6Prefix: null, delegatedIpv6Prefix: null, eventTime: new Date(), stopReason: null,
    })
    return { msisdn, address, nas }
  }

  function voucher(): { serial: string; pin: string } {
    const i = nextVoucher++
    return { serial: `C-${1000 + i}`, pin: `7777${1000 + i}` }
  }

  /** The voucher form as the portal renders it for `line` (form token from the gateway's own key). */
  function pay(g: Gateway, line: Line, v: { serial: string; pin: string }): Promise<Answer> {
    return httpFrom(g.port, line.address, 'POST', '/recharge/voucher', { ft: issueFormToken(keys.formToken, line.address), serial: v.serial, pin: v.pin, lang: 'en' })
  }

  async function waitForState(id: string, states: AttemptState[], ms: number) {
    await waitFor(async () => states.includes((await findAttempt(db(), id))!.state), ms, `attempt ${id} in ${states.join('/')}`)
    return (await findAttempt(db(), id))!
  }

  /** Exactly one ledger credit (key attempt:<id>) and the voucher used once, by this attempt. */
  async function expectPaidOnce(id: string, line: Line, serial: string) {
    const entries = await db().selectFrom('ledgerEntries').select(['idempotencyKey', 'amountMinor']).where('msisdn', '=', line.msisdn).where('kind', '=', 'credit').execute()
    expect(entries).toEqual([{ idempotencyKey: `attempt:${id}`, amountMinor: VOUCHER_MINOR }])
    expect(await db().selectFrom('vouchers').select(['status', 'usedFor']).where('serial', '=', serial).executeTakeFirst()).toEqual({ status: 'used', usedFor: id })
    const holders = await db().selectFrom('rechargeAttempts').select('id').where('voucherSerial', '=', serial).execute()
    expect(holders).toEqual([{ id }])
    expect(await db().selectFrom('lines').select(['balanceMinor', 'status']).where('msisdn', '=', line.msisdn).executeTakeFirst()).toEqual({ balanceMinor: OPENING_MINOR + VOUCHER_MINOR, status: 'active' })
  }

  async function liftJob(id: string) {
    return db().selectFrom('jobs').selectAll().where('dedupeKey', '=', `lift:${id}`).executeTakeFirstOrThrow()
  }

  /** Simulate the lease time passing for jobs a killed worker held (instead of sleeping through it). */
  async function expireLeasesOf(workers: string[]): Promise<number> {
    if (workers.length === 0) return 0
    const result = await db()
      .updateTable('jobs')
      .set({ lockedUntil: sql<Date>`now() - interval '1 second'` })
      .where('lockedBy', 'in', workers)
      .where('doneAt', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows)
  }

  async function deadLeases(): Promise<{ lockedBy: string; ms: number }[]> {
    const rows = await sql<{ lockedBy: string; ms: number }>`
      select locked_by as "lockedBy", (extract(epoch from locked_until - now()) * 1000)::float8 as ms
      from jobs where done_at is null and locked_until > now()`.execute(db())
    return rows.rows
  }

  const flakyAndDead: { id: string; line: Line; serial: string }[] = []
  let paidFirst: { id: string; line: Line; serial: string } | undefined

  it('(a)+(b) killed with one credited lift queued behind four lifts retransmitting to a silent NAS: after restart each is credited once, lifted or flagged', async () => {
    const g1 = await startGateway(env)
    // Four lifts that hang: three NAS-flaky (CoA, later repointed to FreeRADIUS), one NAS-dead (never answers).
    for (const nas of ['nas-flaky', 'nas-flaky', 'nas-flaky', 'nas-dead'] as const) {
      const line = await suspendedLine(nas)
      const v = voucher()
      const answer = await pay(g1, line, v)
      expect(answer.status, answer.body).toBe(303)
      flakyAndDead.push({ id: attemptIdOf(answer), line, serial: v.serial })
    }
    await waitFor(() => silentRequests.size >= 4, 10_000, 'four lift requests retransmitting to the silent NAS')
    // (a): answered = committed; the worker (concurrency 4) is full, so this lift has not started.
    const line = await suspendedLine('nas-radius')
    const v = voucher()
    const answer = await pay(g1, line, v)
    await g1.kill()
    expect(answer.status, answer.body).toBe(303)
    paidFirst = { id: attemptIdOf(answer), line, serial: v.serial }

    // What the crash left behind.
    expect((await findAttempt(db(), paidFirst.id))!.state).toBe('credited')
    await expectPaidOnce(paidFirst.id, line, v.serial)
    expect(await liftJob(paidFirst.id)).toMatchObject({ tries: 0, lockedBy: null, doneAt: null })
    const deadWorkers = new Set<string>()
    for (const hung of flakyAndDead) {
      expect((await findAttempt(db(), hung.id))!.state).toBe('lifting')
      await expectPaidOnce(hung.id, hung.line, hung.serial)
      const job = await liftJob(hung.id)
      expect(job).toMatchObject({ tries: 1, doneAt: null })
      expect(job.lockedUntil!.getTime()).toBeGreaterThan(Date.now())
      deadWorkers.add(job.lockedBy!)
    }
    const sentCodes = [...silentRequests.keys()].map((k) => Number.parseInt(k.slice(0, 2), 16)).sort()
    expect(sentCodes).toEqual([40, 43, 43, 43]) // Disconnect-Request for NAS-dead, CoA-Request for NAS-flaky

    // The operator fixes NAS-flaky's CoA port; NAS-dead stays silent. Restart.
    await db().updateTable('nasClients').set({ coaPort: radius.port, updatedAt: new Date() }).where('name', '=', 'nas-flaky').execute()
    const restartedAt = Date.now()
    const g2 = await startGateway(env)
    survivor = g2
    const a = await waitForState(paidFirst.id, ['lifted', 'confirmed'], 15_000)
    console.log(`[reliability-crash] (a) restart → lifted in ${a.liftedAt!.getTime() - restartedAt} ms (gateway start included)`)
    await expectPaidOnce(paidFirst.id, line, v.serial)
    const radiusEvents = (await attemptEvents(db(), paidFirst.id)).filter((e) => e.kind === 'radius')
    expect(radiusEvents.map((e) => (e.detail as { outcome: unknown }).outcome)).toEqual([{ kind: 'ack' }])

    // (b): the hung lifts are not retried while the dead worker's lease holds (JOB_LEASE_MS, 60 s here).
    const leases = await deadLeases()
    const longest = Math.max(...leases.filter((l) => deadWorkers.has(l.lockedBy)).map((l) => l.ms))
    console.log(`[reliability-crash] (b) after restart the killed worker's lift leases still hold for ${Math.round(longest / 1000)} s (JOB_LEASE_MS=60000 here; 15 s by default): those lifts wait that long`)
    await new Promise((r) => setTimeout(r, 2500)) // > 2 poll intervals of the new worker
    for (const hung of flakyAndDead) {
      expect((await findAttempt(db(), hung.id))!.state).toBe('lifting')
      expect((await liftJob(hung.id)).tries).toBe(1)
    }
    // Simulate the lease running out (instead of waiting for it).
    expect(await expireLeasesOf([...deadWorkers])).toBe(4)
    const expiredAt = Date.now()
    for (const hung of flakyAndDead.filter((h) => h.line.nas === 'nas-flaky')) {
      const lifted = await waitForState(hung.id, ['lifted', 'confirmed'], 15_000)
      expect(lifted.needsSupport).toBe(false)
      await expectPaidOnce(hung.id, hung.line, hung.serial)
      const events = await attemptEvents(db(), hung.id)
      expect(events.filter((e) => e.kind === 'lifting')).toHaveLength(1)
      expect(events.filter((e) => e.kind === 'radius').map((e) => (e.detail as { outcome: unknown }).outcome)).toEqual([{ kind: 'ack' }])
    }
    const dead = flakyAndDead.find((h) => h.line.nas === 'nas-dead')!
    const failed = await waitForState(dead.id, ['failed'], 45_000)
    console.log(`[reliability-crash] (b) lease expired → NAS-flaky lines lifted; NAS-dead flagged after ${Date.now() - expiredAt} ms (one 30 s Disconnect exchange)`)
    expect(failed).toMatchObject({ needsSupport: true, supportReason: 'lift failed: disconnect: timeout' })
    await expectPaidOnce(dead.id, dead.line, dead.serial)
  }, 150_000)

  it('(c) killed after the lifts: a restart changes nothing — no second credit, no second lift', async () => {
    expect(survivor, 'needs the gateway left running by (a)+(b)').toBeDefined()
    const all = [paidFirst!, ...flakyAndDead]
    const before = await Promise.all(all.map(async (p) => ({ attempt: await findAttempt(db(), p.id), events: (await attemptEvents(db(), p.id)).length })))
    await survivor!.kill()
    survivor = await startGateway(env)
    await new Promise((r) => setTimeout(r, 3000)) // three poll intervals: anything due would have run
    for (const [i, p] of all.entries()) {
      const now = await findAttempt(db(), p.id)
      expect(now!.state).toBe(before[i]!.attempt!.state)
      expect(await attemptEvents(db(), p.id)).toHaveLength(before[i]!.events)
      await expectPaidOnce(p.id, p.line, p.serial)
      expect((await liftJob(p.id)).doneAt).not.toBeNull()
    }
    await survivor.kill()
    survivor = undefined
  }, 60_000)

  /** Every attempt of `line`, and whether the payment happened wholly or not at all. */
  async function wholeOrNothing(line: Line, serial: string): Promise<'whole' | 'nothing'> {
    const attempts = await db().selectFrom('rechargeAttempts').selectAll().where('msisdn', '=', line.msisdn).execute()
    const credits = await db().selectFrom('ledgerEntries').select(['idempotencyKey', 'amountMinor']).where('msisdn', '=', line.msisdn).where('kind', '=', 'credit').execute()
    const v = await db().selectFrom('vouchers').select(['status', 'usedFor', 'usedAt']).where('serial', '=', serial).executeTakeFirstOrThrow()
    const lineRow = await db().selectFrom('lines').select(['balanceMinor', 'status']).where('msisdn', '=', line.msisdn).executeTakeFirstOrThrow()
    // No attempt is ever left paid-but-not-credited.
    expect(attempts.filter((a) => a.state === 'paid')).toEqual([])
    if (v.status === 'unused') {
      expect(v.usedFor).toBeNull()
      expect(credits).toEqual([])
      expect(attempts.filter((a) => (CREDITED as string[]).includes(a.state))).toEqual([])
      expect(lineRow).toEqual({ balanceMinor: OPENING_MINOR, status: 'suspended' })
      return 'nothing'
    }
    expect(credits).toEqual([{ idempotencyKey: `attempt:${v.usedFor}`, amountMinor: VOUCHER_MINOR }])
    const holder = attempts.find((a) => a.id === v.usedFor)
    expect(holder?.state).toBeOneOf(CREDITED)
    expect(holder?.voucherSerial).toBe(serial)
    expect(lineRow).toEqual({ balanceMinor: OPENING_MINOR + VOUCHER_MINOR, status: 'active' })
    expect(await liftJob(v.usedFor!)).toBeDefined()
    return 'whole'
  }

  /** Wait until no backend of the killed gateway is left in a transaction or waiting for a lock. */
  async function killedBackendsGone(): Promise<void> {
    await waitFor(
      async () => {
        const rows = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
            and (state like 'idle in transaction%' or wait_event_type = 'Lock' or state = 'active')`.execute(db())
        return rows.rows[0]!.n === 0
      },
      10_000,
      'the killed gateway’s database sessions to end',
    )
  }

  const retried: { line: Line; serial: string; pin: string }[] = []

  it.each([
    { where: 'waiting for the line row (voucher already marked used and attempt paid, uncommitted)', lock: 'lines' as const },
    { where: 'waiting for the voucher row (attempt locked, nothing written yet)', lock: 'vouchers' as const },
  ])('(d) killed inside the redeem transaction, $where: nothing happened, the card stays usable', async ({ lock }) => {
    const line = await suspendedLine('nas-radius')
    const v = voucher()
    const holder = new pg.Client({ connectionString: t.url! })
    await holder.connect()
    try {
      await holder.query('begin')
      if (lock === 'lines') await holder.query('select 1 from lines where msisdn = $1 for update', [line.msisdn])
      else await holder.query('select 1 from vouchers where serial = $1 for update', [v.serial])
      const g = await startGateway(env)
      const inFlight = pay(g, line, v).then(
        (a) => a,
        (err: Error) => err,
      )
      await waitFor(
        async () => {
          const rows = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db())
          return rows.rows[0]!.n > 0
        },
        10_000,
        'the gateway to block on the row the test holds',
      )
      await g.kill()
      const outcome = await inFlight
      expect(outcome).toBeInstanceOf(Error) // never answered
      await holder.query('rollback')
    } finally {
      await holder.end()
    }
    await killedBackendsGone()
    expect(await wholeOrNothing(line, v.serial)).toBe('nothing')
    // The attempt is created inside the redeem transaction: the crash leaves no trace of it either.
    const left = await db().selectFrom('rechargeAttempts').select('state').where('msisdn', '=', line.msisdn).execute()
    expect(left).toEqual([])
    retried.push({ line, ...v })
  }, 60_000)

  const randomKills: { line: Line; serial: string; outcome: 'whole' | 'nothing'; answered: boolean; delayMs: number }[] = []

  it('(d) killed at random moments of a voucher POST: each payment happened wholly (credited, lift queued) or not at all', async () => {
    const random = seededRandom(SEED)
    let coldLatencyMs = 0
    const rounds = 9
    for (let round = 0; round < rounds; round++) {
      const line = await suspendedLine('nas-radius')
      const v = voucher()
      const g = await startGateway(env)
      const sent = Date.now()
      let answered = false
      const inFlight = pay(g, line, v).then(
        (a) => {
          // "Paid" is the 303 to the status page; any other answer promised nothing.
          answered = a.status === 303
          return a
        },
        (err: Error) => err,
      )
      // Round 0 measures a cold gateway's answer time; the others kill between 0.5× and 1.1× of it,
      // where the redeem transaction and its commit are.
      const delayMs = round === 0 ? -1 : Math.floor(coldLatencyMs * (0.5 + 0.6 * random()))
      if (round === 0) {
        const a = await inFlight
        coldLatencyMs = Date.now() - sent
        expect((a as Answer).status).toBe(303)
      } else {
        await new Promise((r) => setTimeout(r, delayMs))
      }
      await g.kill()
      await inFlight
      await killedBackendsGone()
      const outcome = await wholeOrNothing(line, v.serial)
      if (answered) expect(outcome).toBe('whole')
      randomKills.push({ line, serial: v.serial, outcome, answered, delayMs })
    }
    const whole = randomKills.filter((k) => k.outcome === 'whole').length
    console.log(
      `[reliability-crash] (d) cold voucher POST answered in ${coldLatencyMs} ms; ${rounds} kills: ${whole} whole ` +
        `(${randomKills.filter((k) => k.answered).length} answered before the kill), ${rounds - whole} nothing; delays ms: ${randomKills.map((k) => k.delayMs).join(',')}`,
    )
  }, 180_000)

  it('after a final restart: every paid attempt credited exactly once, every paid line lifted or flagged, the books balance', async () => {
    // Lifts leased by the gateways killed in (d) wait out their lease: simulate it passing
    // (no gateway runs now, so every lease still held is a dead one).
    const expired = await expireLeasesOf((await deadLeases()).map((l) => l.lockedBy))
    const g = await startGateway(env)
    // The cards whose payment died inside the transaction still work.
    for (const r of retried) {
      const answer = await pay(g, r.line, r)
      expect(answer.status).toBe(303)
      expect((await findAttempt(db(), attemptIdOf(answer)))!.state).toBeOneOf(CREDITED)
    }
    const credited = await db().selectFrom('rechargeAttempts').select('id').where('state', 'in', CREDITED).execute()
    for (const { id } of credited) await waitForState(id, ['lifted', 'confirmed', 'failed'], 20_000)
    console.log(`[reliability-crash] final: ${credited.length} paid attempts, ${expired} dead leases expired by SQL`)

    const attempts = await db().selectFrom('rechargeAttempts').selectAll().execute()
    const { byAttempt, other } = await creditEntriesByAttempt(db())
    expect(other).toEqual([])
    for (const a of attempts) {
      const entries = byAttempt.get(a.id) ?? []
      if ((CREDITED as string[]).includes(a.state)) {
        expect(entries, `attempt ${a.id} (${a.state})`).toHaveLength(1)
        expect(a.state === 'lifted' || a.state === 'confirmed' || (a.state === 'failed' && a.needsSupport), `attempt ${a.id} ${a.state}`).toBe(true)
        expect(await db().selectFrom('vouchers').select('usedFor').where('serial', '=', a.voucherSerial!).executeTakeFirst()).toEqual({ usedFor: a.id })
      } else {
        expect(entries, `attempt ${a.id} (${a.state})`).toHaveLength(0)
        // A voucher attempt is created in the redeem transaction: no crash leaves one in 'created'.
        expect(a.state).toBeOneOf(['declined', 'expired'])
      }
    }
    const used = await db().selectFrom('vouchers').select(['serial', 'usedFor']).where('status', '=', 'used').execute()
    expect(used.length).toBe(credited.length)
    expect(await ledgerImbalances(db())).toEqual([])
    expect(await orphanEvents(db())).toBe(0)
    const flagged = attempts.filter((a) => a.state === 'failed')
    expect(flagged.map((a) => a.supportReason)).toEqual(['lift failed: disconnect: timeout'])
    await g.kill()
  }, 120_000)
})
