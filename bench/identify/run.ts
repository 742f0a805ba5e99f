// Line identification at scale: the gateway's resident memory and its identify-by-address latency
// with 1,000,000 active accounting sessions in a real PostgreSQL (fsync on), each printed next to a
// baseline measured in the same run (empty table for memory, SELECT 1 through the same pool for
// latency). README.md next to this file says what every row means.
//
//   node bench/identify/run.ts          (npm run bench:identify)
//
// Knobs (environment): SESSIONS, SAMPLE, PER_CONNECTION, CONCURRENCY, ROUNDS, TIME_LIMIT_S,
// WARMUP_SOURCES, SERIAL_SAMPLE, INPROC_SAMPLE, RADIUS_SAMPLE, SHARED_DIR. Exit 0 when it
// measured (targets are reported, not enforced), 3 on any wrong or failed answer, 1 when it broke.
import { loadavg } from 'node:os'
import pg from 'pg'
import { cpuWindow, postmasterPid } from './lib/cpu.ts'
import { drive, identifyCheck, type LoadResult, merge, readyCheck } from './lib/http-load.ts'
import { measureInProcess } from './lib/in-process.ts'
import { type Gateway, installCleanupHandlers, migrate, SHEDDING_OFF, sampleRss, scrapeMemory, startGateway, startPostgres, stopAll } from './lib/processes.ts'
import { sendRadiusSample } from './lib/radius-sample.ts'
import { type Extras, type PhaseResult, type RadiusResult, printReport } from './lib/report.ts'
import { bulkSubscriber, checkMapping, insertNas, loadSessions, radiusSubscriber, sampleIndices, type Subscriber } from './lib/sessions.ts'
import { fmt, kbToMb, summarise } from './lib/stats.ts'

function knob(name: string, fallback: number, min = 1): number {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}: expected a whole number >= ${min}, got ${raw}`)
  return value
}

const SESSIONS = knob('SESSIONS', 1_000_000)
const SAMPLE = knob('SAMPLE', 10_000)
const PER_CONNECTION = knob('PER_CONNECTION', 2)
const CONCURRENCY = knob('CONCURRENCY', 8)
const ROUNDS = knob('ROUNDS', 3)
const TIME_LIMIT_S = knob('TIME_LIMIT_S', 60)
const WARMUP_SOURCES = knob('WARMUP_SOURCES', 100)
const WARMUP_PER_CONNECTION = 4
const SERIAL_SAMPLE = knob('SERIAL_SAMPLE', 1000, 0)
const INPROC_SAMPLE = knob('INPROC_SAMPLE', 5000, 0)
const RADIUS_SAMPLE = knob('RADIUS_SAMPLE', 200, 0)
const SERIAL_TIME_LIMIT_MS = 20_000
const INPROC_TIME_LIMIT_MS = 20_000

const began = performance.now()
const say = (text: string) => process.stdout.write(`[${fmt((performance.now() - began) / 1000, 1).padStart(5)}s] ${text}\n`)
// Other work on this machine shows up in every latency: the 1-minute load average is kept as context.
const loadAverages: number[] = []
const noteLoad = () => loadAverages.push(loadavg()[0]!)

let wrong = 0
function account(what: string, r: { mismatches: number; errors: number; examples: string[] }): void {
  if (r.mismatches + r.errors === 0) return
  wrong += r.mismatches + r.errors
  say(`WRONG: ${what}: ${r.mismatches} mismatches, ${r.errors} errors; e.g.\n    ${r.examples.join('\n    ')}`)
}

/**
 * Identify and /readyz over the same sources, alternating round by round so that drift on this
 * shared machine hits both series alike; `timeLimitMs` for both series together.
 */
async function interleaved(gateway: Gateway, sample: readonly Subscriber[], concurrency: number, expected: Map<string, string>, timeLimitMs: number): Promise<[LoadResult, LoadResult]> {
  const base = { port: gateway.port, concurrency, perConnection: PER_CONNECTION, timeLimitMs: timeLimitMs / (2 * ROUNDS) }
  const identifyRuns: LoadResult[] = []
  const readyRuns: LoadResult[] = []
  const perRound = Math.ceil(sample.length / ROUNDS)
  for (let round = 0; round < ROUNDS; round++) {
    const sources = sample.slice(round * perRound, (round + 1) * perRound).map((s) => s.address)
    identifyRuns.push(await drive({ ...base, path: '/api/v1/identify', sources, check: identifyCheck(expected) }))
    readyRuns.push(await drive({ ...base, path: '/readyz', sources, check: readyCheck }))
  }
  const result: [LoadResult, LoadResult] = [merge(identifyRuns), merge(readyRuns)]
  const label = `${concurrency} in flight`
  account(`identify, ${label}`, result[0])
  account(`/readyz, ${label}`, result[1])
  for (const [what, r] of [['identify', result[0]], ['/readyz', result[1]]] as const) {
    if (r.skipped > 0) say(`${what}, ${label}: time limit reached, ${r.skipped} source addresses not driven`)
  }
  return result
}

/** Start a gateway, warm it up, read its memory, drive the load, read it again, then `then`. */
async function phase(name: string, url: string, sample: readonly Subscriber[], warm: readonly Subscriber[], expected: Map<string, string>, then?: (gw: Gateway) => Promise<void>): Promise<PhaseResult> {
  const gateway = await startGateway(url, SHEDDING_OFF)
  try {
    say(`${name}: gateway pid ${gateway.pid} ready on 127.0.0.1:${gateway.port} (RSS ${fmt(kbToMb(gateway.memory().rssKb), 1)} MB at ready)`)
    const base = { port: gateway.port, concurrency: CONCURRENCY, timeLimitMs: 15_000, perConnection: WARMUP_PER_CONNECTION }
    const warmSources = warm.map((s) => s.address)
    const warmup = await drive({ ...base, path: '/api/v1/identify', sources: warmSources, check: identifyCheck(expected) })
    const warmReady = await drive({ ...base, path: '/readyz', sources: warmSources.slice(0, 25), check: readyCheck })
    account(`${name} warm-up`, merge([warmup, warmReady]))
    await new Promise((ok) => setTimeout(ok, 500))
    const warmRssKb = gateway.memory().rssKb
    const heapWarm = await scrapeMemory(gateway)
    say(`${name}: after warm-up (${warmup.latencies.length} identify requests): RSS ${fmt(kbToMb(warmRssKb), 1)} MB, V8 heap used ${fmt(heapWarm.heapUsedMb, 1)} MB`)

    const sampler = sampleRss(gateway)
    const window = cpuWindow([gateway.pid], postmaster)
    noteLoad()
    const [identify, ready] = await interleaved(gateway, sample, CONCURRENCY, expected, TIME_LIMIT_S * 1000)
    noteLoad()
    const cpu = window.stop()
    const maxRssKb = sampler.stop()
    const { hwmKb } = gateway.memory()
    const heapAfter = await scrapeMemory(gateway)
    const s = summarise(identify.latencies, identify.wallMs)
    const r = summarise(ready.latencies, ready.wallMs)
    say(
      `${name}: identify ${s.count} req p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} ms ${fmt(s.perSecond, 0)} req/s; /readyz p99 ${fmt(r.p99)} ms; ` +
        `max RSS under load ${fmt(kbToMb(maxRssKb), 1)} MB, V8 heap used ${fmt(heapAfter.heapUsedMb, 1)} MB; ` +
        `CPUs busy ${fmt(cpu.machine)}, ours ${fmt(cpu.ours)}, other processes ${fmt(cpu.others)}`,
    )
    if (then) await then(gateway)
    const radius = RADIUS_SAMPLE > 0 ? await radiusSample(gateway) : undefined
    return { warmRssKb, maxRssKb, hwmKb, heapWarm, heapAfter, identify, ready, warmup, cpu, ...(radius ? { radius } : {}) }
  } finally {
    await gateway.stop()
  }
}

/**
 * After the measurements: RADIUS_SAMPLE Starts through the real accounting path (UDP, stored
 * before the answer), then each answered one identified over HTTP. A Start still unanswered at
 * the time limit is a finding about the write path, not a wrong answer.
 */
async function radiusSample(gateway: Gateway): Promise<RadiusResult> {
  say(`RADIUS path: ${RADIUS_SAMPLE} Accounting-Request Starts over UDP to 127.0.0.1:${gateway.radiusPort}`)
  const sent = await sendRadiusSample(gateway.radiusPort, RADIUS_SAMPLE)
  const counted = await pool.query<{ n: string }>(`select count(*) as n from radius_sessions where stopped_at is null and acct_session_id like 'radius-%'`)
  const stored = Number(counted.rows[0]!.n)
  const subs = sent.answeredIndices.map(radiusSubscriber)
  const identify = await drive({
    port: gateway.port, path: '/api/v1/identify', sources: subs.map((s) => s.address), perConnection: 1, concurrency: CONCURRENCY, timeLimitMs: 10_000,
    check: identifyCheck(new Map(subs.map((s) => [s.address, s.line]))),
  })
  account('RADIUS sample, identify', identify)
  if (stored < sent.answered) account('RADIUS sample', { mismatches: sent.answered - stored, errors: 0, examples: [`${sent.answered} answered but ${stored} stored`] })
  say(`RADIUS path: ${sent.answered}/${sent.sent} answered in ${fmt(sent.wallMs / 1000, 1)} s (${sent.retransmissions} retransmissions), ${stored} stored`)
  if (sent.answered < RADIUS_SAMPLE) say(`RADIUS path: ${RADIUS_SAMPLE - sent.answered} Starts not answered within the time limit (reported, not counted as wrong)`)
  return { sent: sent.sent, answered: sent.answered, stored, wallMs: sent.wallMs, identify }
}

/** With the sessions loaded: HTTP at 1 in flight, then the in-process timings. */
async function extrasAt(gateway: Gateway, serial: readonly Subscriber[], inprocSample: readonly Subscriber[], expected: Map<string, string>, extras: Extras): Promise<void> {
  if (serial.length > 0) {
    say(`HTTP, 1 in flight: identify and /readyz over ${serial.length} more source addresses`)
    const window = cpuWindow([gateway.pid], postmaster)
    ;[extras.serialIdentify, extras.serialReady] = await interleaved(gateway, serial, 1, expected, SERIAL_TIME_LIMIT_MS)
    extras.cpuSerial = window.stop()
  }
  if (inprocSample.length === 0) return
  const window = cpuWindow([gateway.pid], postmaster)
  for (const concurrency of [CONCURRENCY, 1]) {
    say(`in process, ${concurrency} in flight: identify(), SELECT 1 on the gateway's pool, the same SQL and SELECT 1 on plain node-postgres, up to ${inprocSample.length} calls each`)
    const result = await measureInProcess({ url, gatewayPort: gateway.port, sample: inprocSample, rounds: ROUNDS, concurrency, timeLimitMs: INPROC_TIME_LIMIT_MS })
    account(`in process, ${concurrency} in flight`, { mismatches: result.mismatches, errors: 0, examples: result.examples })
    if (concurrency === 1) extras.inprocSerial = result
    else extras.inproc = result
  }
  extras.cpuInproc = window.stop()
  noteLoad()
}

let url = ''
let pool: pg.Pool
/** The cluster's postmaster, whose children are the backends (for the CPU shares). */
let postmaster: number[] = []

async function main(): Promise<number> {
  installCleanupHandlers()
  say(
    `settings: SESSIONS=${SESSIONS} SAMPLE=${SAMPLE} PER_CONNECTION=${PER_CONNECTION} CONCURRENCY=${CONCURRENCY} ROUNDS=${ROUNDS} ` +
      `TIME_LIMIT_S=${TIME_LIMIT_S} SERIAL_SAMPLE=${SERIAL_SAMPLE} INPROC_SAMPLE=${INPROC_SAMPLE} RADIUS_SAMPLE=${RADIUS_SAMPLE}` +
      (process.env.GATEWAY_NODE_ARGS ? ` GATEWAY_NODE_ARGS=${JSON.stringify(process.env.GATEWAY_NODE_ARGS)}` : ''),
  )
  noteLoad()
  url = await startPostgres('identify')
  postmaster = [postmasterPid(url)].filter((p): p is number => p !== undefined)
  pool = new pg.Pool({ connectionString: url, max: 2 })
  pool.on('error', () => {})
  try {
    const settings = await pool.query<{ s: string }>(
      `select split_part(version(), ' on ', 1) || ': fsync=' || current_setting('fsync') || ' synchronous_commit=' || current_setting('synchronous_commit') ||
        ' full_page_writes=' || current_setting('full_page_writes') || ' shared_buffers=' || current_setting('shared_buffers') as s`,
    )
    say(`throwaway ${settings.rows[0]!.s}`)
    say(`migrate: ${(await migrate(url)).replace(/\n/g, '; ')}`)
    const nasId = await insertNas(pool)

    // Disjoint seeded samples of the bulk sessions: load, 1-in-flight, in process; warm-up may overlap.
    const indices = sampleIndices(SAMPLE + SERIAL_SAMPLE + INPROC_SAMPLE, SESSIONS, 1)
    const sample = indices.slice(0, SAMPLE).map(bulkSubscriber)
    const serial = indices.slice(SAMPLE, SAMPLE + SERIAL_SAMPLE).map(bulkSubscriber)
    const inprocSample = indices.slice(SAMPLE + SERIAL_SAMPLE).map(bulkSubscriber)
    const warm = sampleIndices(WARMUP_SOURCES, SESSIONS, 2).map(bulkSubscriber)
    const expected = new Map([...sample, ...serial, ...warm].map((s) => [s.address, s.line]))

    const empty = await phase('empty table', url, sample, warm, new Map())
    await pool.query(`delete from radius_sessions`) // the RADIUS sample of the empty phase

    say(`loading ${SESSIONS} active sessions: one INSERT ... SELECT FROM generate_series (bulk SQL, not through RADIUS)`)
    const loaded = await loadSessions(pool, nasId, SESSIONS)
    say(`loaded in ${fmt(loaded.insertMs / 1000, 1)} s, VACUUM ANALYZE ${fmt(loaded.vacuumMs / 1000, 1)} s: ${loaded.active} active sessions, table ${fmt(loaded.tableMb, 0)} MB, with indexes ${fmt(loaded.totalMb, 0)} MB`)
    if (loaded.active !== SESSIONS) throw new Error(`expected ${SESSIONS} active sessions, found ${loaded.active}`)
    const disagreements = await checkMapping(pool, [0, SESSIONS - 1, ...indices.slice(0, 200)])
    if (disagreements.length > 0) throw new Error(`the SQL and JS address plans disagree:\n${disagreements.slice(0, 5).join('\n')}`)

    const extras: Extras = {}
    const full = await phase(`${SESSIONS} sessions`, url, sample, warm, expected, (gateway) => extrasAt(gateway, serial, inprocSample, expected, extras))
    printReport(
      { sessions: SESSIONS, concurrency: CONCURRENCY, perConnection: PER_CONNECTION, rounds: ROUNDS, insertMs: loaded.insertMs, wrong, rssTargetMb: 300, p99TargetMs: 2,
        loadAverage: [Math.min(...loadAverages), Math.max(...loadAverages)] },
      empty,
      full,
      extras,
    )
    return wrong > 0 ? 3 : 0
  } finally {
    await pool.end().catch(() => {})
    await stopAll()
  }
}

main().then(
  (code) => {
    say(`done${code === 3 ? ': WRONG ANSWERS, see above' : ''} (exit ${code})`)
    process.exit(code)
  },
  async (err: unknown) => {
    process.stderr.write(`bench/identify: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    await stopAll()
    process.exit(1)
  },
)
