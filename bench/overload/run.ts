// Overload: does load shedding keep the admitted portal pages fast at twice the load the gateway
// can serve? One gateway in server mode over a throwaway PostgreSQL (the helpers of bench/identify),
// identified lines hitting GET /portal:
//   1. closed loop (CONCURRENCY lanes, each sending as soon as it is answered): the saturating
//      pages/s and its p99;
//   2. open loop at 1× that rate (the baseline in the same run), then at 2×: admitted pages/s, shed
//      (503) requests/s and the admitted p99, latency counted from when each request was due.
// README.md next to this file says what every figure means.
//
//   node bench/overload/run.ts          (npm run bench:overload)
//
// Knobs (environment): SESSIONS, CONCURRENCY, LANES, PER_CONNECTION, SATURATE_S, PHASE_S, WARMUP_S,
// SHARED_DIR, and the gateway's own LOAD_SHED_* settings (passed through). Exit 0 when it measured
// (the target is reported, not enforced), 3 on any wrong answer, 1 when it broke.
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import pg from 'pg'
import { cpuWindow, postmasterPid } from '../identify/lib/cpu.ts'
import { installCleanupHandlers, migrate, startGateway, startPostgres, stopAll } from '../identify/lib/processes.ts'
import { bulkSubscriber, insertNas, loadSessions } from '../identify/lib/sessions.ts'
import { fmt, summarise, table } from '../identify/lib/stats.ts'
import { type PhaseResult, runPhase } from './lib/lanes.ts'
import { p99Bound, portalBuckets } from './lib/server-latency.ts'

function knob(name: string, fallback: number, min = 1): number {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}: expected a whole number >= ${min}, got ${raw}`)
  return value
}

const SESSIONS = knob('SESSIONS', 100_000)
const CONCURRENCY = knob('CONCURRENCY', 64)
const LANES = knob('LANES', 512)
const PER_CONNECTION = knob('PER_CONNECTION', 16)
const WARMUP_S = knob('WARMUP_S', 3)
const SATURATE_S = knob('SATURATE_S', 10)
const PHASE_S = knob('PHASE_S', 15)
const TARGET_P99_MS = 500

const began = performance.now()
const say = (text: string) => process.stdout.write(`[${fmt((performance.now() - began) / 1000, 1).padStart(5)}s] ${text}\n`)

let wrong = 0
function account(what: string, r: PhaseResult): void {
  if (r.wrong === 0) return
  wrong += r.wrong
  say(`WRONG: ${what}: ${r.wrong} wrong answers or errors; e.g.\n    ${r.examples.join('\n    ')}`)
}

/** The kernel's count of connections dropped because a listen queue was full (whole machine). */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'))
  const names = lines[0]?.split(/\s+/) ?? []
  const values = lines[1]?.split(/\s+/) ?? []
  return Number(values[names.indexOf('ListenOverflows')] ?? Number.NaN)
}

interface Row {
  name: string
  offered: number
  r: PhaseResult
  durationMs: number
  cpu: { gateway: number; others: number }
  overflows: number
  /** The gateway's own p99 of admitted pages (bucket bound, ms). */
  inside: string
}

async function measure(name: string, options: { port: number; rate?: number; lanes: number; seconds: number }, pids: number[], parents: number[]): Promise<Row> {
  const window = cpuWindow(pids, parents)
  const overflows = listenOverflows()
  const before = await portalBuckets(options.port)
  const r = await runPhase({ port: options.port, path: '/portal', subscribers, lanes: options.lanes, perConnection: PER_CONNECTION, durationMs: options.seconds * 1000, rate: options.rate })
  const cpu = window.stop()
  const inside = p99Bound(before, await portalBuckets(options.port))
  account(name, r)
  const row = { name, offered: options.rate ?? Number.NaN, r, durationMs: options.seconds * 1000, cpu: { gateway: cpu.ours, others: cpu.others }, overflows: listenOverflows() - overflows, inside }
  const a = summarise(r.admitted, row.durationMs)
  say(`${name}: admitted ${fmt(a.perSecond, 0)}/s p99 ${fmt(a.p99, 1)} ms (inside the gateway ${inside} ms), shed ${fmt((r.shed.length * 1000) / row.durationMs, 0)}/s, unsent ${r.unsent}, wrong ${r.wrong}, listen-queue overflows ${row.overflows}, load ${fmt(loadavg()[0]!, 1)}`)
  return row
}

const subscribers = Array.from({ length: SESSIONS }, (_, i) => bulkSubscriber(i))

async function main(): Promise<void> {
  installCleanupHandlers()
  say(`throwaway PostgreSQL, ${SESSIONS.toLocaleString('en')} identified lines (sessions + suspended lines)`)
  const url = await startPostgres('rg_overload')
  await migrate(url)
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  try {
    const nasId = await insertNas(pool)
    await loadSessions(pool, nasId, SESSIONS)
    await pool.query(`insert into lines (msisdn, balance_minor, currency, status, suspension_reason, restore_threshold_minor)
                      select msisdn, -1000, 'CNY', 'suspended', 'arrears', 0 from radius_sessions`)
    await pool.query('vacuum analyze lines')
  } finally {
    await pool.end()
  }
  const gateway = await startGateway(url)
  const postmaster = postmasterPid(url)
  const pids = [gateway.pid]
  const parents = postmaster === undefined ? [] : [postmaster]
  const shedding = Object.entries(process.env).filter(([k]) => k.startsWith('LOAD_SHED_')).map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults'
  say(`gateway pid ${gateway.pid} on 127.0.0.1:${gateway.port}; load shedding: ${shedding}`)

  await runPhase({ port: gateway.port, path: '/portal', subscribers, lanes: CONCURRENCY, perConnection: PER_CONNECTION, durationMs: WARMUP_S * 1000 })
  const saturated = await measure(`closed loop, ${CONCURRENCY} in flight`, { port: gateway.port, lanes: CONCURRENCY, seconds: SATURATE_S }, pids, parents)
  const saturating = Math.round((saturated.r.admitted.length * 1000) / saturated.durationMs)
  if (saturating < 10) throw new Error(`the gateway served only ${saturating} pages/s: nothing to overload`)
  const once = await measure('open loop at 1×', { port: gateway.port, rate: saturating, lanes: LANES, seconds: PHASE_S }, pids, parents)
  const twice = await measure('open loop at 2×', { port: gateway.port, rate: 2 * saturating, lanes: LANES, seconds: PHASE_S }, pids, parents)
  await gateway.stop()

  const rows = [saturated, once, twice].map((row) => {
    const a = summarise(row.r.admitted, row.durationMs)
    const s = summarise(row.r.shed, row.durationMs)
    return [
      row.name,
      Number.isNaN(row.offered) ? 'as fast as served' : `${row.offered}/s`,
      fmt(a.perSecond, 0),
      fmt(s.perSecond, 0),
      fmt(a.p50, 1),
      fmt(a.p99, 1),
      row.inside,
      fmt(s.p99, 1),
      String(row.r.unsent),
      String(row.r.wrong),
      String(row.overflows),
      `${fmt(row.cpu.gateway * 100, 0)}% / ${fmt(row.cpu.others * 100, 0)}%`,
    ]
  })
  const p99At2 = summarise(twice.r.admitted, twice.durationMs).p99
  process.stdout.write(
    [
      '',
      `Overload of GET /portal (identified lines, ${SESSIONS.toLocaleString('en')} sessions, PostgreSQL 15 fsync on); latency from due time to last byte`,
      table([['phase', 'offered', 'admitted/s', 'shed 503/s', 'admitted p50 ms', 'admitted p99 ms', 'inside gateway p99 ms', 'shed p99 ms', 'unsent', 'wrong', 'listen overflows', 'CPU bench+gateway+PG / others'], ...rows]),
      '',
      `saturating load: ${saturating} pages/s`,
      `at 2× (${2 * saturating}/s offered): admitted ${fmt((twice.r.admitted.length * 1000) / twice.durationMs, 0)}/s, shed ${fmt((twice.r.shed.length * 1000) / twice.durationMs, 0)}/s, admitted p99 ${fmt(p99At2, 1)} ms (target < ${TARGET_P99_MS} ms: ${p99At2 < TARGET_P99_MS ? 'MET' : 'MISSED'}); at 1×: admitted p99 ${fmt(summarise(once.r.admitted, once.durationMs).p99, 1)} ms`,
      `1-minute load average at the end: ${fmt(loadavg()[0]!, 2)} (2 cores; other sessions share them)`,
      '',
    ].join('\n'),
  )
}

main()
  .then(async () => {
    await stopAll()
    process.exit(wrong > 0 ? 3 : 0)
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`bench:overload failed: ${(err as Error).stack ?? String(err)}\n`)
    await stopAll()
    process.exit(1)
  })
