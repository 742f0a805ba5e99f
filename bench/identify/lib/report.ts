// The printed result: memory, HTTP latency and in-process tables, then the summary of figure,
// value, same-run baseline, ratio, target and PASS/MISS, then one machine-readable line.
import { cpus } from 'node:os'
import type { CpuShare } from './cpu.ts'
import type { LoadResult } from './http-load.ts'
import { type InProcessResult, SERIES } from './in-process.ts'
import type { HeapView } from './processes.ts'
import { fmt, kbToMb, type LatencySummary, summarise, table } from './stats.ts'

/** What one gateway life measured. */
export interface PhaseResult {
  warmRssKb: number
  maxRssKb: number
  hwmKb: number
  heapWarm: HeapView
  heapAfter: HeapView
  identify: LoadResult
  ready: LoadResult
  warmup: LoadResult
  /** CPU use during the identify and /readyz load. */
  cpu: CpuShare
  /** The RADIUS sample sent after the measurements (bonus; absent when RADIUS_SAMPLE=0). */
  radius?: RadiusResult
}

/** Starts sent through the real accounting path, and whether identification then finds them. */
export interface RadiusResult {
  sent: number
  answered: number
  stored: number
  wallMs: number
  identify: LoadResult
}

/** The measurements made only with the sessions loaded. */
export interface Extras {
  serialIdentify?: LoadResult
  serialReady?: LoadResult
  inproc?: InProcessResult
  inprocSerial?: InProcessResult
  cpuSerial?: CpuShare
  cpuInproc?: CpuShare
}

/** The run's settings and bookkeeping, as the report states them. */
export interface ReportContext {
  sessions: number
  concurrency: number
  perConnection: number
  rounds: number
  insertMs: number
  wrong: number
  rssTargetMb: number
  p99TargetMs: number
  /** 1-minute load average of the machine, lowest and highest seen during the run. */
  loadAverage: [number, number]
}

const verdict = (value: number, target: number) => (Number.isFinite(value) ? (value <= target ? 'PASS' : 'MISS') : 'n/a')
const mb = (kb: number) => `${fmt(kbToMb(kb), 1)} MB`
const cpu = (label: string, c: CpuShare | undefined) =>
  c === undefined ? [] : [`CPU during ${label}: machine ${fmt(c.machine)} of ${cpus().length} CPUs, this benchmark ${fmt(c.ours)} (gateway, PostgreSQL, load generator), other processes ${fmt(c.others)}`]

function latencyRows(label: string, r: LoadResult | undefined): string[][] {
  if (r === undefined) return []
  const row = (what: string, samples: number[]) => {
    const s = summarise(samples, r.wallMs)
    return [`${label}, ${what}`, String(s.count), fmt(s.p50, 3), fmt(s.p99, 3), fmt(s.max, 3), what === 'all' ? fmt(s.perSecond, 0) : '']
  }
  return [row('all', r.latencies), row('1st on conn', r.firstOnConnection), row('reused conn', r.reused)]
}

function inprocRows(label: string, r: InProcessResult | undefined): [string[][], Record<string, LatencySummary>] {
  if (r === undefined) return [[], {}]
  const sums = Object.fromEntries(SERIES.map((s) => [s, summarise(r.samples[s], r.wallMs[s])]))
  const rows = SERIES.map((s) => {
    const x = sums[s]!
    return [`${s}, ${label}`, String(x.count), fmt(x.p50, 3), fmt(x.p99, 3), fmt(x.max, 3), fmt(x.perSecond, 0)]
  })
  return [rows, sums]
}

/** Print everything. */
export function printReport(ctx: ReportContext, empty: PhaseResult, full: PhaseResult, extras: Extras): void {
  const n = ctx.sessions
  const perSession = (a: number, b: number) => ((a - b) * 1024) / n
  const heap = (h: HeapView) => `${fmt(h.heapUsedMb, 1)} / ${fmt(h.heapTotalMb, 1)} / ${fmt(h.externalMb, 1)} MB`
  const out: string[] = ['', '== Memory of the gateway process (VmRSS/VmHWM from /proc/<pid>/status; MB = 10^6 bytes) ==']
  out.push(
    table([
      ['', 'empty table', `${n} sessions`, 'difference', 'per session'],
      ['VmRSS after warm-up', mb(empty.warmRssKb), mb(full.warmRssKb), mb(full.warmRssKb - empty.warmRssKb), `${fmt(perSession(full.warmRssKb, empty.warmRssKb), 1)} B`],
      ['VmRSS max under load (sampled 10/s)', mb(empty.maxRssKb), mb(full.maxRssKb), mb(full.maxRssKb - empty.maxRssKb), `${fmt(perSession(full.maxRssKb, empty.maxRssKb), 1)} B`],
      ['VmHWM (peak of the process life)', mb(empty.hwmKb), mb(full.hwmKb), mb(full.hwmKb - empty.hwmKb), `${fmt(perSession(full.hwmKb, empty.hwmKb), 1)} B`],
      ['V8 heap used/total/external, warm', heap(empty.heapWarm), heap(full.heapWarm), '', ''],
      ['V8 heap used/total/external, after load', heap(empty.heapAfter), heap(full.heapAfter), '', ''],
    ]),
  )

  const how = `${ctx.perConnection} requests per source address and connection, ${ctx.rounds} interleaved rounds`
  out.push('', `== HTTP latency, client-side (ms), ${how} ==`)
  out.push(
    table([
      ['series', 'requests', 'p50', 'p99', 'max', 'req/s'],
      ...latencyRows(`identify @${n}, ${ctx.concurrency} in flight`, full.identify),
      ...latencyRows(`/readyz @${n}, ${ctx.concurrency} in flight`, full.ready),
      ...latencyRows(`identify @${n}, 1 in flight`, extras.serialIdentify),
      ...latencyRows(`/readyz @${n}, 1 in flight`, extras.serialReady),
      ...latencyRows(`identify @empty, ${ctx.concurrency} in flight`, empty.identify),
      ...latencyRows(`/readyz @empty, ${ctx.concurrency} in flight`, empty.ready),
    ]),
  )
  out.push(...cpu(`the load @empty`, empty.cpu), ...cpu(`the load @${n}`, full.cpu), ...cpu(`the 1-in-flight load @${n}`, extras.cpuSerial))

  const [concRows, conc] = inprocRows(`${ctx.concurrency} in flight`, extras.inproc)
  const [serialRows] = inprocRows('1 in flight', extras.inprocSerial)
  if (concRows.length + serialRows.length > 0) {
    out.push('', `== In process, ${n} sessions (ms; gateway's pool of 10, a second plain pg.Pool of 10) ==`)
    out.push(table([['series', 'calls', 'p50', 'p99', 'max', 'calls/s'], ...concRows, ...serialRows]))
    out.push(`identification SQL (captured from kysely): ${extras.inproc?.sql ?? extras.inprocSerial?.sql}`)
    out.push(...cpu('the in-process series', extras.cpuInproc))
  }
  if (empty.radius || full.radius) out.push('')
  for (const [label, r] of [['empty table', empty.radius], [`${n} sessions`, full.radius]] as const) {
    if (r === undefined) continue
    const s = summarise(r.identify.latencies, r.identify.wallMs)
    out.push(
      `${label}: RADIUS path sample: ${r.answered}/${r.sent} Accounting-Request Starts answered in ${fmt(r.wallMs / 1000, 2)} s ` +
        `(${fmt((r.answered * 1000) / r.wallMs, 0)}/s), ${r.stored} stored; identified over HTTP with the right line: ${s.count - r.identify.mismatches - r.identify.errors}/${r.answered}`,
    )
  }

  const fid = summarise(full.identify.latencies, full.identify.wallMs)
  const frd = summarise(full.ready.latencies, full.ready.wallMs)
  const eid = summarise(empty.identify.latencies, empty.identify.wallMs)
  const rssMb = kbToMb(full.maxRssKb)
  const rssEmptyMb = kbToMb(empty.warmRssKb)
  const rows: string[][] = [
    ['figure', 'value', 'baseline (same run)', 'ratio', 'target', 'result'],
    [`gateway RSS, ${n} sessions, max under load`, `${fmt(rssMb, 1)} MB`, `${fmt(rssEmptyMb, 1)} MB: empty table, after warm-up`, `${fmt(rssMb / rssEmptyMb)}x`, `<= ${ctx.rssTargetMb} MB`, verdict(rssMb, ctx.rssTargetMb)],
    [`gateway RSS, ${n} sessions vs empty, same load`, `${fmt(rssMb, 1)} MB`, `${fmt(kbToMb(empty.maxRssKb), 1)} MB: empty table, max under load`, `${fmt(full.maxRssKb / empty.maxRssKb)}x`, '', 'info'],
    [
      `memory per session, (RSS ${n} - RSS empty)/${n}`,
      `${fmt(perSession(full.warmRssKb, empty.warmRssKb), 1)} B (both after warm-up)`,
      `${fmt(perSession(full.maxRssKb, empty.maxRssKb), 1)} B both under load; ${fmt(perSession(full.maxRssKb, empty.warmRssKb), 1)} B load max vs empty warm`,
      '',
      '~0 by design',
      'info',
    ],
    [`identify p99, HTTP, ${n} sessions, ${ctx.concurrency} in flight`, `${fmt(fid.p99, 3)} ms`, `${fmt(frd.p99, 3)} ms: /readyz = SELECT 1, same pool, same load`, `${fmt(fid.p99 / frd.p99)}x`, `<= ${ctx.p99TargetMs} ms`, verdict(fid.p99, ctx.p99TargetMs)],
    [`identify p50, HTTP, ${n} sessions, ${ctx.concurrency} in flight`, `${fmt(fid.p50, 3)} ms`, `${fmt(frd.p50, 3)} ms: /readyz p50`, `${fmt(fid.p50 / frd.p50)}x`, '', 'info'],
  ]
  if (extras.serialIdentify && extras.serialReady) {
    const si = summarise(extras.serialIdentify.latencies, extras.serialIdentify.wallMs)
    const sr = summarise(extras.serialReady.latencies, extras.serialReady.wallMs)
    rows.push([`identify p99, HTTP, ${n} sessions, 1 in flight`, `${fmt(si.p99, 3)} ms`, `${fmt(sr.p99, 3)} ms: /readyz, 1 in flight`, `${fmt(si.p99 / sr.p99)}x`, `<= ${ctx.p99TargetMs} ms`, verdict(si.p99, ctx.p99TargetMs)])
  }
  rows.push([`identify p99, HTTP, ${n} sessions vs empty table`, `${fmt(fid.p99, 3)} ms`, `${fmt(eid.p99, 3)} ms: empty table (answers no_session)`, `${fmt(fid.p99 / eid.p99)}x`, '', 'info'])
  const id = conc['identify()']
  const sel = conc['select 1 (gateway pool)']
  const rawId = conc['identify SQL (node-postgres)']
  const rawSel = conc['select 1 (node-postgres)']
  if (id && sel && rawId && rawSel) {
    rows.push([`identify() p99, in process, ${ctx.concurrency} in flight`, `${fmt(id.p99, 3)} ms`, `${fmt(sel.p99, 3)} ms: SELECT 1, same pool`, `${fmt(id.p99 / sel.p99)}x`, '', 'info'])
    rows.push([`same SQL p99, plain node-postgres, ${ctx.concurrency} in flight`, `${fmt(rawId.p99, 3)} ms`, `${fmt(rawSel.p99, 3)} ms: SELECT 1, node-postgres`, `${fmt(rawId.p99 / rawSel.p99)}x`, '', 'info'])
  }
  if (empty.radius && full.radius) {
    const rate = (r: RadiusResult) => (r.answered * 1000) / r.wallMs
    rows.push([`RADIUS Start answered (stored), ${n} sessions`, `${fmt(rate(full.radius), 0)}/s`, `${fmt(rate(empty.radius), 0)}/s: empty table`, `${fmt(rate(full.radius) / rate(empty.radius))}x`, '', 'info'])
  }
  rows.push([`identify throughput, HTTP, ${n} sessions`, `${fmt(fid.perSecond, 0)} req/s`, `${fmt(frd.perSecond, 0)} req/s: /readyz`, `${fmt(fid.perSecond / frd.perSecond)}x`, '', 'info'])
  out.push('', `== Summary: ${n} active sessions (bulk SQL load, ${fmt(ctx.insertMs / 1000, 1)} s), PostgreSQL 15 with fsync on; load average ${fmt(ctx.loadAverage[0])}-${fmt(ctx.loadAverage[1])} on ${cpus().length} CPUs, other processes used ${fmt(full.cpu.others)} CPUs during the load; wrong answers: ${ctx.wrong} ==`)
  out.push(table(rows))
  out.push(
    '',
    `identify sessions=${n} rss_mb=${fmt(rssMb, 1)} rss_empty_mb=${fmt(rssEmptyMb, 1)} bytes_per_session=${fmt(perSession(full.warmRssKb, empty.warmRssKb), 1)} ` +
      `p99_ms=${fmt(fid.p99, 3)} select1_p99_ms=${fmt(frd.p99, 3)} req_s=${fmt(fid.perSecond, 0)} wrong=${ctx.wrong}`,
  )
  process.stdout.write(`${out.join('\n')}\n`)
}
