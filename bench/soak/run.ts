// npm run soak — the chaos soak: two real gateways against one throwaway PostgreSQL 15 (fsync on),
// FreeRADIUS as the NAS, the sandbox payment provider, and at once, bounded in count and time:
// accounting, portal pages, voucher and card recharges with duplicated and shuffled webhooks,
// forged RADIUS; while on a schedule PostgreSQL is restarted, its connections are killed, the NAS
// goes silent and one gateway is killed -9 and restarted. Then a bounded drain, the invariants
// checked in SQL and printed with the figures. Exit 0 only when every invariant holds. Loopback only.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import pg from 'pg'
import { openDatabase } from '../../src/db/connect.ts'
import { startSandboxPsp } from '../../src/sandbox/sandbox-psp.ts'
import { type FreeRadiusNas, startFreeRadiusNas } from '../recharge/lib/freeradius-nas.ts'
import { installCleanupHandlers, migrate, startPostgres, stopAll } from '../recharge/lib/processes.ts'
import { seed } from '../recharge/lib/seed.ts'
import { runAccountingLoad } from './lib/accounting-load.ts'
import { runChaos } from './lib/chaos.ts'
import { clusterRunning, serverCrashes, startCluster } from './lib/cluster.ts'
import { startFleet } from './lib/fleet.ts'
import { runForgedLoad } from './lib/forged-radius.ts'
import { checkInvariants } from './lib/invariants.ts'
import { runPortalLoad } from './lib/portal-load.ts'
import { runCardLoad, runVoucherLoad } from './lib/recharges.ts'
import { printReport } from './lib/report.ts'

const env = process.env
const num = (name: string, fallback: number) => {
  const value = Number(env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: expected a positive number, got ${JSON.stringify(env[name])}`)
  return value
}
const minutes = num('SOAK_MINUTES', 10)
const loadS = Math.round(minutes * 60)
const K = {
  acctRate: num('SOAK_ACCT_RATE', 200),
  acctSessions: num('SOAK_ACCT_SESSIONS', 3000),
  portalRate: num('SOAK_PORTAL_RATE', 20),
  voucherRate: num('SOAK_VOUCHER_RATE', 2),
  cardRate: num('SOAK_CARD_RATE', 1),
  forgedRate: num('SOAK_FORGED_RATE', 20),
  extraWebhooks: num('SOAK_EXTRA_WEBHOOKS', 4),
  chaosEveryS: num('SOAK_CHAOS_EVERY_S', Math.min(30, Math.max(10, Math.round(loadS / 20)))),
  postgresDownS: num('SOAK_PG_DOWN_S', 4),
  nasDownS: num('SOAK_NAS_DOWN_S', 10),
  drainMaxS: num('SOAK_DRAIN_MAX_S', 150),
  freeradius: env.FREERADIUS ?? '/usr/sbin/freeradius',
}
const NAS_SECRET = 'testing123'
const APP_SECRET = randomBytes(32).toString('base64url')
const MERCHANT = { merchantId: 'soak-merchant', apiKey: randomBytes(18).toString('base64url'), webhookSecret: randomBytes(24).toString('base64url') }
const NAS_SETTINGS = { secret: NAS_SECRET, threads: 4, maxRequests: 65536, cleanupDelay: 5 }
const CARD_AMOUNT_MINOR = 5000
const OUT = env.SOAK_OUT ?? `/tmp/rg-soak-${new Date().toISOString().replace(/[:.]/g, '-')}`

async function main(): Promise<number> {
  installCleanupHandlers()
  if (!existsSync(K.freeradius)) throw new Error(`no FreeRADIUS at ${K.freeradius} (Debian: apt-get install freeradius; or FREERADIUS=/path)`)
  const voucherLines = Math.ceil(K.voucherRate * loadS)
  const cardLines = Math.ceil(K.cardRate * loadS)
  console.log(`soak: ${minutes} min of load, chaos every ${K.chaosEveryS} s; ${voucherLines} voucher and ${cardLines} card lines, ${K.acctSessions} accounting sessions`)

  const sandbox = await startSandboxPsp(MERCHANT)
  const url = await startPostgres('soak')
  await migrate(url)
  let nas: FreeRadiusNas = await startFreeRadiusNas(K.freeradius, NAS_SETTINGS)
  let nasDown = false
  await seed(url, { n: voucherLines + cardLines, appSecret: APP_SECRET, nasSecret: NAS_SECRET, coaPort: nas.port, voucherBatches: 16 })
  await openTheBooks(url)
  mkdirSync(OUT, { recursive: true })
  const fleet = await startFleet(url, APP_SECRET, 2, OUT, (port) => ({
    PORTAL_URL: `http://127.0.0.1:${port}`,
    PAYMENT_METHODS: 'voucher,card',
    PSP_URL: sandbox.url,
    PSP_MERCHANT_ID: MERCHANT.merchantId,
    PSP_API_KEY: MERCHANT.apiKey,
    PSP_WEBHOOK_SECRET: MERCHANT.webhookSecret,
    LOG_LEVEL: 'warn',
  }))
  console.log(`ready: ${fleet.instances.map((i) => `${i.name} http ${i.port} radius ${i.radiusPort}`).join(', ')}; NAS (FreeRADIUS) CoA ${nas.port}; PostgreSQL ${url}`)

  // FreeRADIUS and PostgreSQL exits the soak did not cause.
  const otherExits: string[] = []
  const nasWatch = setInterval(() => {
    if (nasDown) return
    try {
      process.kill(nas.pid, 0)
    } catch {
      otherExits.push(`FreeRADIUS (pid ${nas.pid}) exited on its own`)
      nasDown = true
    }
  }, 1000)

  const durationMs = loadS * 1000
  const radiusPorts = () => fleet.instances.filter((i) => i.gateway !== undefined && !i.expectedDown).map((i) => i.radiusPort)
  const started = Date.now()
  const [accounting, forged, portal, vouchers, cards, chaos] = await Promise.all([
    runAccountingLoad({ targets: radiusPorts, secret: NAS_SECRET, ratePerS: K.acctRate, sessions: K.acctSessions, durationMs }),
    runForgedLoad({ targets: radiusPorts, ratePerS: K.forgedRate, durationMs }),
    runPortalLoad(fleet, { ratePerS: K.portalRate, maxInFlight: 32, durationMs, accountingSessions: K.acctSessions, lines: voucherLines + cardLines }),
    runVoucherLoad(fleet, { ratePerS: K.voucherRate, durationMs, lines: voucherLines }),
    runCardLoad(fleet, sandbox, { ratePerS: K.cardRate, durationMs, firstLine: voucherLines, lines: cardLines, amountMinor: CARD_AMOUNT_MINOR, declineEvery: 10, extraWebhooks: K.extraWebhooks, burstMs: 15_000 }),
    runChaos(
      {
        url,
        fleet,
        stopNas: async () => {
          nasDown = true
          await nas.stop()
        },
        startNas: async () => {
          nas = await startFreeRadiusNas(K.freeradius, NAS_SETTINGS, nas.port)
          nasDown = false
        },
      },
      { durationMs, everyMs: K.chaosEveryS * 1000, postgresDownMs: K.postgresDownS * 1000, nasDownMs: K.nasDownS * 1000 },
    ),
  ])
  const loadWallS = (Date.now() - started) / 1000
  clearInterval(nasWatch)

  // Whatever a failed chaos step left down comes back before the drain, so the drain measures the gateway.
  if (!(await clusterRunning(url))) await startCluster(url)
  if (nasDown && otherExits.length === 0) nas = await startFreeRadiusNas(K.freeradius, NAS_SETTINGS, nas.port)
  for (const [index, slot] of fleet.instances.entries()) if (slot.gateway === undefined && slot.expectedDown) await fleet.restart(index)

  const drainS = await drain(url, K.drainMaxS * 1000, (orderId) => sandbox.orders.get(orderId)?.status)
  const unexpectedExits = [...fleet.unexpectedExits(), ...otherExits, ...serverCrashes(url).map((l) => `PostgreSQL: ${l}`)]
  await fleet.stop()
  const database = await openDatabase({ kind: 'postgres', url, poolSize: 2 })
  const { invariants, figures } = await checkInvariants(database.db, { vouchers, cards, sandboxStatus: (id) => sandbox.orders.get(id)?.status, accounting, forged, unexpectedExits }).finally(() => database.close())
  printReport({ minutes, loadWallS, drainS, accounting, forged, portal, vouchers, cards, chaos, invariants, figures, coaSeen: await nas.coaSeen(), logTally: fleet.logTally(), out: OUT })
  await sandbox.close()
  const chaosOk = chaos.every((e) => e.ok)
  if (!chaosOk) console.log('RUN INCOMPLETE: a chaos step could not be completed (see above)')
  return invariants.every((i) => i.held) ? (chaosOk ? 0 : 1) : 3
}

// The seed sets opening balances directly; one "opening" ledger entry per line makes the books start balanced.
async function openTheBooks(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`insert into ledger_entries (msisdn, amount_minor, currency, kind, idempotency_key, reference)
      select msisdn, balance_minor, currency, 'opening', 'opening:' || msisdn, 'soak' from lines`)
  } finally {
    await client.end()
  }
}

// Until nothing is half-way: no attempt paid-but-not-credited, credited-but-not-lifted or lifting
// (unless flagged), no card attempt still paying for an order the provider has settled, no lift or
// credit job left. Bounded; returns the seconds it took.
async function drain(url: string, maxMs: number, orderStatus: (orderId: string) => string | undefined): Promise<number> {
  const started = Date.now()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    for (;;) {
      const busy = await client.query<{ n: string }>(`select count(*) as n from recharge_attempts a where not a.needs_support and (a.state in ('paid', 'lifting')
        or (a.state = 'credited' and exists (select 1 from jobs j where j.dedupe_key = 'lift:' || a.id)))`)
      const jobs = await client.query<{ n: string }>(`select count(*) as n from jobs where done_at is null and kind in ('lift', 'credit')`)
      const paying = await client.query<{ order_id: string }>(`select provider_order_id as order_id from recharge_attempts where state = 'paying' and provider_order_id is not null`)
      const settledAtProvider = paying.rows.filter((r) => ['paid', 'declined'].includes(orderStatus(r.order_id) ?? '')).length
      const waiting = Number(busy.rows[0]!.n) + Number(jobs.rows[0]!.n) + settledAtProvider
      if (waiting === 0) break
      if (Date.now() - started > maxMs) {
        console.log(`drain: gave up after ${maxMs / 1000} s with ${busy.rows[0]!.n} attempts half-way, ${jobs.rows[0]!.n} lift/credit jobs, ${settledAtProvider} settled orders still paying`)
        break
      }
      await new Promise((ok) => setTimeout(ok, 2000))
    }
  } finally {
    await client.end()
  }
  return (Date.now() - started) / 1000
}

main().then(
  async (code) => {
    await stopAll()
    process.exit(code)
  },
  async (err: unknown) => {
    console.error(`soak failed: ${(err as Error).stack ?? err}`)
    await stopAll()
    process.exit(1)
  },
)
