// npm run bench:recharge — voucher recharges end to end against real PostgreSQL (fsync on):
// GET /portal → POST /recharge/voucher → credited → lift job → CoA-Request to FreeRADIUS playing
// the NAS → CoA-ACK → lifted; recharges/s and submit-to-lifted latency, next to baselines taken
// in the same run (the bare CoA round trip with our own client against the same FreeRADIUS, and
// GET /healthz with the same client pattern against the same gateway). See README.md.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { busyCores, hostCpu, processCpu, treeCpu, treeDelta } from './lib/cpu.ts'
import { coaSeries, type CoaSeries } from './lib/coa-baseline.ts'
import { commitSeries } from './lib/commit-baseline.ts'
import { type DriveResult, driveClosed, driveHealthz, drivePaced, type Subscriber } from './lib/drive.ts'
import { type FreeRadiusNas, startFreeRadiusNas, TEST_HELPER_SETTINGS } from './lib/freeradius-nas.ts'
import { serverFigures, startWatcher, verify } from './lib/observe.ts'
import { type Gateway, installCleanupHandlers, migrate, SHEDDING_OFF, startGateway, startPostgres, stopAll, withDatabase } from './lib/processes.ts'
import { createDatabase, lineAddress, lineVoucher, seed } from './lib/seed.ts'
import { fmt, percentile, table } from './lib/stats.ts'

const env = process.env
const int = (name: string, fallback: number) => {
  const value = Number(env[name] ?? fallback)
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: expected a number, got ${JSON.stringify(env[name])}`)
  return value
}
const K = {
  recharges: int('RECHARGES', 3000),
  concurrency: int('CONCURRENCY', 32),
  loadMaxS: int('LOAD_MAX_S', 60),
  drainMaxS: int('DRAIN_MAX_S', 60),
  budgetS: int('BUDGET_S', 330),
  pacedRate: int('PACED_RATE', 200),
  pacedS: int('PACED_S', 10),
  pacedLowRate: int('PACED_LOW_RATE', 50),
  warmup: int('WARMUP', 50),
  healthzConnections: int('HEALTHZ_CONNECTIONS', 4000),
  healthzMaxS: int('HEALTHZ_MAX_S', 6),
  coaN: int('COA_N', 4000),
  frThreads: int('FR_THREADS', 4),
  frMaxRequests: int('FR_MAX_REQUESTS', 65536),
  scaleOutInstances: int('SCALE_OUT_INSTANCES', 2),
  phases: (env.PHASES ?? 'saturation many-batches paced paced-low scale-out').split(/[\s,]+/).filter((p) => p !== ''),
  freeradius: env.FREERADIUS ?? '/usr/sbin/freeradius',
  // Capacity is what this measures: load shedding (measured by bench:overload) is off unless
  // GATEWAY_ENV turns it on again.
  gatewayEnv: { ...SHEDDING_OFF, ...Object.fromEntries(
    (env.GATEWAY_ENV ?? '')
      .split(/\s+/)
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ) } as Record<string, string>,
}
const NAS_SECRET = 'testing123'
const APP_SECRET = randomBytes(32).toString('base64url')
const OUT = env.BENCH_OUT ?? `/tmp/rg-bench-recharge-${new Date().toISOString().replace(/[:.]/g, '-')}`

// The whole run stays within BUDGET_S: each load and drain is cut to what is left, and a phase
// that cannot get PHASE_MIN_S any more is skipped (and says so).
const RUN_START = Date.now()
const PHASE_MIN_S = 45
const budgetLeftMs = () => RUN_START + K.budgetS * 1000 - Date.now()
const loadLimitMs = () => Math.max(5_000, Math.min(K.loadMaxS * 1000, (budgetLeftMs() - 20_000) / 2))

const report: string[] = []
function say(line = ''): void {
  report.push(line)
  process.stdout.write(`${line}\n`)
}
const ms = (v: number) => fmt(v, v < 10 ? 1 : 0)
const dist = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`

interface Phase {
  name: string
  description: string
  instances: number
  /** Voucher batches the phase's vouchers are spread over (1: one print run). */
  voucherBatches: number
  drive: (ports: number[], subscribers: Subscriber[], onSubmitted: (s: { attemptId: string; postAtMs: number }) => void) => Promise<DriveResult>
  lines: number
  /** Recharges/s an open loop offers (undefined: closed loop, as many as the gateway takes). */
  offeredPerS?: number
}

const PHASES: Record<string, Phase> = {
  saturation: {
    name: 'saturation',
    description: `closed loop: ${K.recharges} recharges, ${K.concurrency} subscribers in flight, 1 gateway`,
    instances: 1,
    voucherBatches: 1,
    lines: K.recharges,
    drive: (ports, subs, on) => driveClosed(ports, subs, K.concurrency, loadLimitMs(), on),
  },
  'many-batches': {
    name: 'many-batches',
    description: `closed loop as "saturation", but each voucher in a batch of its own (${K.recharges + K.warmup} voucher_batches rows instead of 1)`,
    instances: 1,
    voucherBatches: K.recharges + K.warmup,
    lines: K.recharges,
    drive: (ports, subs, on) => driveClosed(ports, subs, K.concurrency, loadLimitMs(), on),
  },
  paced: {
    name: 'paced',
    description: `open loop: ${K.pacedRate} recharges/s offered for ${K.pacedS} s (${K.pacedRate * K.pacedS}), 1 gateway`,
    instances: 1,
    voucherBatches: 1,
    lines: K.pacedRate * K.pacedS,
    offeredPerS: K.pacedRate,
    drive: (ports, subs, on) => drivePaced(ports, subs, K.pacedRate, 512, Math.min(K.pacedS * 1000, loadLimitMs()), on),
  },
  'paced-low': {
    name: 'paced-low',
    description: `open loop: ${K.pacedLowRate} recharges/s offered for ${K.pacedS} s (${K.pacedLowRate * K.pacedS}), 1 gateway — a rate below the capacity, for the latency there`,
    instances: 1,
    voucherBatches: 1,
    lines: K.pacedLowRate * K.pacedS,
    offeredPerS: K.pacedLowRate,
    drive: (ports, subs, on) => drivePaced(ports, subs, K.pacedLowRate, 512, Math.min(K.pacedS * 1000, loadLimitMs()), on),
  },
  'scale-out': {
    name: 'scale-out',
    description: `closed loop as "saturation", ${K.scaleOutInstances} gateway instances on one database (subscribers alternate)`,
    instances: K.scaleOutInstances,
    voucherBatches: 1,
    lines: K.recharges,
    drive: (ports, subs, on) => driveClosed(ports, subs, K.concurrency, loadLimitMs(), on),
  },
}

interface PhaseResult {
  name: string
  offeredPerS: number | undefined
  rechargesPerS: number
  p50: number
  p99: number
  healthzPerS: number
  problems: string[]
}

/**
 * The ≥ 200/s column. A closed loop measures capacity: PASS or MISS. An open loop can show no more
 * than it offers: "kept up" when it lifted what it offered (within 1 %, the window's edges), else
 * "behind"; the capacity is the closed loops' figure.
 */
function rateVerdict(r: PhaseResult): string {
  if (r.offeredPerS !== undefined) return r.rechargesPerS >= 0.99 * r.offeredPerS ? 'kept up' : 'behind'
  return r.rechargesPerS >= 200 ? 'PASS' : 'MISS'
}

async function runPhase(phase: Phase, clusterUrl: string, nas: FreeRadiusNas, coaRef: CoaSeries): Promise<PhaseResult> {
  const dbName = `recharge_${phase.name.replace(/-/g, '_')}`
  const url = withDatabase(clusterUrl, dbName)
  say()
  say(`── phase ${phase.name}: ${phase.description}`)
  await createDatabase(clusterUrl, dbName)
  await migrate(url)
  const total = phase.lines + K.warmup
  const t0 = performance.now()
  await seed(url, { n: total, appSecret: APP_SECRET, nasSecret: NAS_SECRET, coaPort: nas.port, voucherBatches: phase.voucherBatches })
  say(
    `   seeded ${total} suspended lines, sessions (by SQL, not RADIUS) and 50 CNY vouchers (${phase.voucherBatches} batch${phase.voucherBatches === 1 ? '' : 'es'}) in ${fmt((performance.now() - t0) / 1000, 1)} s`,
  )
  const gateways: Gateway[] = []
  for (let i = 0; i < phase.instances; i++) gateways.push(await startGateway(url, APP_SECRET, K.gatewayEnv))
  const ports = gateways.map((g) => g.port)

  // Baseline on the same gateway, same client pattern: one connection per source, two requests.
  const hzSources = Array.from({ length: K.healthzConnections }, (_, i) => lineAddress(200_000 + i))
  await driveHealthz(ports[0]!, hzSources.slice(0, 200), K.concurrency, 5_000)
  const hz = await driveHealthz(ports[0]!, hzSources, K.concurrency, K.healthzMaxS * 1000)
  const healthzPerS = hz.connections / (hz.wallMs / 1000)

  const subscribers: Subscriber[] = Array.from({ length: total }, (_, index) => ({ index, address: lineAddress(index), ...lineVoucher(index) }))
  const watcher = await startWatcher(url)
  const coaAtStart = await nas.coaSeen()
  let accepted = 0
  try {
    // Warm-up (JIT, pools, prepared plans): its own lines, not in the figures.
    const warm = await driveClosed(ports, subscribers.slice(phase.lines), 8, 30_000, (s) => watcher.watch(s.attemptId, s.postAtMs))
    accepted += warm.submitted.length
    if (warm.errors > 0) say(`   warm-up: ${warm.errors} of ${K.warmup} failed, e.g. ${warm.examples.join(' | ')}`)
    await watcher.settle(30_000)
    const warmLatencies = watcher.observed().length

    const snapshot = () => ({ host: hostCpu(), gw: gateways.map((g) => processCpu(g.pid)), pg: treeCpu(pgPid(clusterUrl)), fr: processCpu(nas.pid), self: process.cpuUsage() })
    const db0 = await dbCounters(clusterUrl)
    const watcherQueries0 = watcher.queries()
    await eventLoopLag(ports[0]!) // resets the gateway's event-loop delay histogram
    const cpu0 = snapshot()
    const fromMs = Date.now()
    const load = await phase.drive(ports, subscribers.slice(0, phase.lines), (s) => watcher.watch(s.attemptId, s.postAtMs))
    accepted += load.submitted.length
    const cpuMid = snapshot()
    const loadEndMs = Date.now()
    const lagLoad = await eventLoopLag(ports[0]!)
    const liftedDuringLoad = watcher.observed().length - warmLatencies
    const drainLimitMs = Math.max(5_000, Math.min(K.drainMaxS * 1000, budgetLeftMs() - 15_000))
    const settled = await watcher.settle(drainLimitMs)
    const cpu1 = snapshot()
    const lagDrain = await eventLoopLag(ports[0]!)
    const wallS = (Date.now() - fromMs) / 1000
    const loadS = (loadEndMs - fromMs) / 1000
    const drainS = wallS - loadS
    await new Promise((ok) => setTimeout(ok, 1100)) // backends publish their statistics at most once a second
    const db1 = await dbCounters(clusterUrl)
    const watcherQueries = watcher.queries() - watcherQueries0 + 2
    const observed = watcher.observed().slice(warmLatencies)
    const samples = watcher.samples().filter((s) => s.atMs >= fromMs)
    await watcher.stop()

    const server = await serverFigures(url, new Date(fromMs))
    const checks = await verify(url, accepted, (await nas.coaSeen()) - coaAtStart)
    const gwCpu = cpu1.gw.reduce((sum, v, i) => sum + v - cpu0.gw[i]!, 0)
    const pgCpu = treeDelta(cpu0.pg, cpu1.pg)
    const split = (a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>, seconds: number) =>
      `host busy ${fmt(busyCores(a.host, b.host), 2)}, gateway ${fmt(b.gw.reduce((sum, v, i) => sum + v - a.gw[i]!, 0) / seconds, 2)}, PostgreSQL ${fmt(treeDelta(a.pg, b.pg) / seconds, 2)}`
    const frCpu = cpu1.fr - cpu0.fr
    const selfCpu = (cpu1.self.user + cpu1.self.system - cpu0.self.user - cpu0.self.system) / 1e6
    const hostBusy = busyCores(cpu0.host, cpu1.host)
    const otherCores = hostBusy - (gwCpu + pgCpu + frCpu + selfCpu) / wallS
    const commits = db1.commits - db0.commits - watcherQueries
    const walSyncs = db1.walSyncs - db0.walSyncs

    say(`   load: ${load.submitted.length} accepted (303) in ${fmt(load.wallMs / 1000, 1)} s, ${load.errors} errors, ${load.skipped} not started (time limit)${load.late > 0 ? `, ${load.late} started >100 ms late` : ''}; all lifted: ${settled ? 'yes' : `NO (waited ${fmt(drainLimitMs / 1000, 0)} s)`}`)
    for (const example of load.examples) say(`     e.g. ${example}`)
    say()
    say(
      table([
        ['   row', 'per s', 'p50 / p99 ms', 'n'],
        ['   recharges (server: lifted ÷ (last lifted_at − first created_at))', fmt(server.rechargesPerS, 1), dist(server.submitToLifted), String(server.lifted)],
        ['   submit → lifted, client-observed (POST sent → lifted seen, 25 ms poll)', '', dist(observed), String(observed.length)],
        ['   POST /recharge/voucher answered (client)', '', dist(load.submitted.map((s) => s.postMs)), String(load.submitted.length)],
        ['   GET /portal answered (client)', '', dist(load.submitted.map((s) => s.portalMs)), String(load.submitted.length)],
        ['   submit → credited (server: credited_at − created_at)', fmt(server.creditsPerS, 1), dist(server.submitToCredited), String(server.submitToCredited.length)],
        ['   credited → lift job starts (queue wait)', '', dist(server.queueWait), String(server.queueWait.length)],
        ['   lift job: start → lifted_at', '', dist(server.liftWork), String(server.liftWork.length)],
        ['   … of which the CoA exchange (sent → ACK, as recorded)', '', dist(server.coaMs), String(server.coaMs.length)],
        ['   baseline: GET /healthz, same client pattern (connections of 2 GETs)', fmt(healthzPerS, 0), dist(hz.latencies), String(hz.connections)],
      ]),
    )
    say()
    const maxRunning = Math.max(0, ...samples.map((s) => s.liftRunning))
    const maxLiftDue = Math.max(0, ...samples.map((s) => s.liftDue))
    const meanLiftWork = server.liftWork.reduce((a, b) => a + b, 0) / Math.max(1, server.liftWork.length)
    say(`   ratios: recharges/s ÷ /healthz conn/s = ${fmt(server.rechargesPerS / healthzPerS, 3)}; recharges/s ÷ bare CoA/s at 4 in flight (${fmt(coaRef.perSecond, 0)}) = ${fmt(server.rechargesPerS / coaRef.perSecond, 3)}`)
    const during = samples.filter((x) => x.atMs <= loadEndMs)
    const mean = (pick: (x: (typeof samples)[number]) => number) => during.reduce((sum, x) => sum + pick(x), 0) / Math.max(1, during.length)
    say(
      `   jobs (sampled every 0.5 s): lift jobs due max ${maxLiftDue}; jobs leased at once max ${maxRunning} over ${phase.instances} instance(s); lift runs ${checks.liftRuns}; lifts are confirmed by one sweep statement every 5 s (no accounting arrives here: none is)`,
    )
    say(
      `   PostgreSQL backends during the load (mean of ${during.length} samples): ${fmt(mean((x) => x.busyBackends), 1)} busy, ${fmt(mean((x) => x.lockWaits), 1)} waiting for a lock, ${fmt(mean((x) => x.voucherLockWaits), 1)} of them on the voucher SELECT … FOR UPDATE`,
    )
    say(
      `   lifts during the load: ${fmt(liftedDuringLoad / loadS, 0)}/s (${liftedDuringLoad} in ${fmt(loadS, 1)} s; cores: ${split(cpu0, cpuMid, loadS)}); after it stopped: ${fmt((server.lifted - liftedDuringLoad) / Math.max(0.001, drainS), 0)}/s (${server.lifted - liftedDuringLoad} in ${fmt(drainS, 1)} s; cores: ${split(cpuMid, cpu1, Math.max(0.001, drainS))})`,
    )
    say(`   lift job: ${fmt(meanLiftWork, 1)} ms mean from 'lifting' to lifted_at`)
    say(
      `   gateway event-loop delay (prom-client, 10 ms sampling, so ≈10 ms means idle) mean / p99 / max ms: during the load ${lagLoad}; after it ${lagDrain}`,
    )
    say(
      `   CPU over the ${fmt(wallS, 1)} s load+drain, in cores: host busy ${fmt(hostBusy, 2)} of ${cpu1.host.cores} = gateway ${fmt(gwCpu / wallS, 2)} + PostgreSQL ${fmt(pgCpu / wallS, 2)} + FreeRADIUS ${fmt(frCpu / wallS, 2)} + this load generator ${fmt(selfCpu / wallS, 2)} + other processes ${fmt(otherCores, 2)}; gateway+PostgreSQL ${fmt(((gwCpu + pgCpu) * 1000) / Math.max(1, server.lifted), 1)} ms CPU per recharge`,
    )
    if (otherCores > 0.25) say(`   NOTE: other processes on the host took ${fmt(otherCores, 2)} cores during this phase — absolute figures are depressed; compare ratios, rerun on a quiet host`)
    say(`   PostgreSQL during load+drain (+1.1 s): ${commits} commits by the gateway (${fmt(commits / Math.max(1, server.lifted), 1)} per recharge, read-only ones and the confirm sweeps included), ${walSyncs} WAL fsyncs (${fmt(walSyncs / Math.max(1, server.lifted), 1)} per recharge)`)
    for (const line of checks.lines) say(`   check: ${line}`)
    const problems = [...checks.problems, ...(load.errors > 0 ? [`${load.errors} HTTP errors`] : []), ...(settled ? [] : ['not every attempt was lifted within DRAIN_MAX_S'])]
    say(`   verified: ${problems.length === 0 ? 'OK' : `FAILED — ${problems.join('; ')}`}`)
    writeFileSync(`${OUT}/${phase.name}-samples.json`, JSON.stringify(samples))
    return { name: phase.name, offeredPerS: phase.offeredPerS, rechargesPerS: server.rechargesPerS, p50: percentile(server.submitToLifted, 50), p99: percentile(server.submitToLifted, 99), healthzPerS, problems }
  } finally {
    await watcher.stop().catch(() => {})
    for (const g of gateways) await g.stop()
  }
}

/** The gateway's event-loop delay since the last scrape (prom-client resets it on every scrape): "mean / p99 / max" in ms. */
async function eventLoopLag(port: number): Promise<string> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '')
  const metric = (name: string) => Number(new RegExp(`^gateway_nodejs_eventloop_lag_${name}_seconds ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? Number.NaN) * 1000
  return `${fmt(metric('mean'), 0)} / ${fmt(metric('p99'), 0)} / ${fmt(metric('max'), 0)}`
}

/** Cluster-wide commits and WAL fsyncs so far (pg_stat_database, pg_stat_wal). */
async function dbCounters(clusterUrl: string): Promise<{ commits: number; walSyncs: number }> {
  const client = new pg.Client({ connectionString: clusterUrl })
  await client.connect()
  try {
    const row = (
      await client.query<{ commits: string; syncs: string }>(
        `select (select sum(xact_commit) from pg_stat_database)::text as commits, (select wal_sync from pg_stat_wal)::text as syncs`,
      )
    ).rows[0]!
    return { commits: Number(row.commits), walSyncs: Number(row.syncs) }
  } finally {
    await client.end()
  }
}

/** The postmaster's pid, from the cluster directory in the URL. */
function pgPid(clusterUrl: string): number {
  const dir = /host=([^&]+)/.exec(clusterUrl)?.[1] ?? ''
  try {
    return Number(readFileSync(`${dir}/data/postmaster.pid`, 'utf8').split('\n')[0])
  } catch {
    return -1
  }
}

function coaRow(label: string, s: CoaSeries): string[] {
  return [label, String(s.concurrency), fmt(s.perSecond, 0), `${ms(s.p50Ms)} / ${ms(s.p99Ms)}`, `${s.acked}/${s.sent}`]
}

async function main(): Promise<number> {
  installCleanupHandlers()
  mkdirSync(OUT, { recursive: true })
  if (!existsSync(K.freeradius)) throw new Error(`no FreeRADIUS at ${K.freeradius} (Debian: apt-get install freeradius; or FREERADIUS=/path)`)
  const unknown = K.phases.filter((p) => !(p in PHASES))
  if (unknown.length > 0) throw new Error(`PHASES: unknown ${unknown.join(', ')} (known: ${Object.keys(PHASES).join(', ')})`)
  const started = performance.now()
  say(`recharge benchmark — node ${process.version}, ${hostCpu().cores} cores, loopback only; raw output in ${OUT}`)
  const workerSource = readFileSync(new URL('../../src/jobs/worker.ts', import.meta.url), 'utf8')
  const workerDefault = (name: string) => new RegExp(`options\\.${name} \\?\\? ([0-9_]+)`).exec(workerSource)?.[1] ?? '?'
  say(
    `gateway: node src/main.ts, LOG_LEVEL=warn${Object.keys(K.gatewayEnv).length > 0 ? `, ${Object.entries(K.gatewayEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ', DATABASE_POOL_SIZE default (10)'}; job worker defaults read from src/jobs/worker.ts: concurrency ${workerDefault('concurrency')}, poll ${workerDefault('pollMs')} ms, lease ${workerDefault('leaseMs')} ms`,
  )
  say(`load: ${K.recharges} recharges at ${K.concurrency} in flight (closed loop), paced ${K.pacedRate}/s and ${K.pacedLowRate}/s for ${K.pacedS} s; budget ${K.budgetS} s`)

  const clusterUrl = await startPostgres('postgres_bench')
  say(`PostgreSQL 15 throwaway cluster (fsync, synchronous_commit, full_page_writes on — asserted by pg-throwaway.sh)`)
  const nas = await startFreeRadiusNas(K.freeradius, { secret: NAS_SECRET, threads: K.frThreads, maxRequests: K.frMaxRequests, cleanupDelay: 5 })
  say(`FreeRADIUS as the NAS: ${K.frThreads} threads, max_requests ${K.frMaxRequests}, cleanup_delay 5 (bench/recharge/lib/freeradius-nas.ts)`)

  // Baseline: the bare CoA round trip, our client, same FreeRADIUS; and the test helper's config.
  say()
  say('── baseline: bare CoA round trip, src/radius/dynamic-authorization-client.ts → FreeRADIUS')
  await coaSeries(nas.port, NAS_SECRET, 4, 300, 3000)
  const coa4 = await coaSeries(nas.port, NAS_SECRET, 4, K.coaN, 5000)
  const coa64 = await coaSeries(nas.port, NAS_SECRET, 64, K.coaN, 5000)
  const helper = await startFreeRadiusNas(K.freeradius, { secret: NAS_SECRET, ...TEST_HELPER_SETTINGS })
  const coaHelper = await coaSeries(helper.port, NAS_SECRET, 4, K.coaN, 8000)
  const helperDrops = helper.drops()
  await helper.stop()
  say(
    table([
      ['   FreeRADIUS config', 'in flight', 'CoA/s', 'p50 / p99 ms', 'ACKed'],
      coaRow(`   bench (${K.frThreads} threads, max_requests ${K.frMaxRequests})`, coa4),
      coaRow(`   bench (${K.frThreads} threads, max_requests ${K.frMaxRequests})`, coa64),
      coaRow(`   test helper (2 threads, max_requests 256)`, coaHelper),
    ]),
  )
  say(`   test helper config: FreeRADIUS logged ${helperDrops.length} "Dropping request" lines${helperDrops[0] ? `, e.g. "${helperDrops[0].replace(/^.*?Error: /, '')}"` : ''}`)

  say()
  say('── baseline: bare durable commit (one-row INSERT, autocommit) on the same cluster')
  const commit1 = await commitSeries(clusterUrl, 1, 2000)
  const commit4 = await commitSeries(clusterUrl, 4, 2000)
  say(
    table([
      ['   connections', 'commits/s', 'p50 / p99 ms'],
      ['   1', fmt(commit1.perSecond, 0), `${ms(commit1.p50Ms)} / ${ms(commit1.p99Ms)}`],
      ['   4', fmt(commit4.perSecond, 0), `${ms(commit4.p50Ms)} / ${ms(commit4.p99Ms)}`],
    ]),
  )

  const results: PhaseResult[] = []
  for (const name of K.phases) {
    if (budgetLeftMs() < PHASE_MIN_S * 1000) {
      say()
      say(`── phase ${name}: SKIPPED — ${fmt(budgetLeftMs() / 1000, 0)} s left of BUDGET_S=${K.budgetS}`)
      continue
    }
    results.push(await runPhase(PHASES[name]!, clusterUrl, nas, coa4))
  }

  say()
  say('── baseline again (drift check): bare CoA round trip, 4 in flight')
  const coaAfter = await coaSeries(nas.port, NAS_SECRET, 4, K.coaN, 5000)
  say(`   ${fmt(coaAfter.perSecond, 0)} CoA/s, p50/p99 ${ms(coaAfter.p50Ms)} / ${ms(coaAfter.p99Ms)} ms (before: ${fmt(coa4.perSecond, 0)} CoA/s)`)
  await nas.stop()

  say()
  say('── summary (targets: ≥ 200 recharges/s, p99 submit→lifted ≤ 500 ms; reported, not enforced)')
  const rows = [['   phase', 'recharges/s', 'p50 ms', 'p99 ms', '/healthz conn/s', 'ratio', '≥200/s', 'p99≤500']]
  for (const r of results) {
    rows.push([`   ${r.name}`, fmt(r.rechargesPerS, 1), ms(r.p50), ms(r.p99), fmt(r.healthzPerS, 0), fmt(r.rechargesPerS / r.healthzPerS, 3), rateVerdict(r), r.p99 <= 500 ? 'PASS' : 'MISS'])
  }
  say(table(rows))
  say('   (open-loop phases — paced, paced-low — offer a fixed rate: "kept up" says they lifted all of it; the capacity is the closed loops\' figure)')
  say(`   bare CoA round trip (4 in flight): ${fmt(coa4.perSecond, 0)}/s before, ${fmt(coaAfter.perSecond, 0)}/s after; 64 in flight: ${fmt(coa64.perSecond, 0)}/s`)
  say(`   whole run ${fmt((performance.now() - started) / 1000, 0)} s`)
  const failed = results.filter((r) => r.problems.length > 0)
  writeFileSync(`${OUT}/summary.txt`, `${report.join('\n')}\n`)
  writeFileSync(`${OUT}/results.json`, JSON.stringify({ knobs: K, coa: { coa4, coa64, coaHelper, coaAfter }, commit: { commit1, commit4 }, results }, null, 2))
  return failed.length > 0 ? 3 : 0
}

main()
  .then(async (code) => {
    await stopAll()
    process.exit(code)
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`bench:recharge failed: ${(err as Error).stack ?? String(err)}\n`)
    await stopAll()
    process.exit(1)
  })
