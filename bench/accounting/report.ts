// Reporting half of the accounting benchmark (run.sh does the measuring).
//
//   node report.ts metrics-delta BEFORE AFTER   two /metrics dumps of the gateway → one JSON line:
//       ack count, server-side p99 bucket bound, outcomes by status type, drops, duplicates
//   node report.ts summary RESULTS.jsonl        the table, the ratios the issue targets, PASS/MISS
import { readFileSync } from 'node:fs'

type Labels = Record<string, string>
interface Sample {
  name: string
  labels: Labels
  value: number
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line)
    if (m === null) continue
    const labels: Labels = {}
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) })
  }
  return samples
}

function metricsDelta(beforeFile: string, afterFile: string): void {
  const before = parseMetrics(readFileSync(beforeFile, 'utf8'))
  const after = parseMetrics(readFileSync(afterFile, 'utf8'))
  const key = (s: Sample) => `${s.name}${JSON.stringify(s.labels)}`
  const old = new Map(before.map((s) => [key(s), s.value]))
  const delta = (s: Sample) => s.value - (old.get(key(s)) ?? 0)
  const buckets = after
    .filter((s) => s.name === 'gateway_radius_accounting_ack_seconds_bucket')
    .map((s) => ({ le: s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le), count: delta(s) }))
    .sort((a, b) => a.le - b.le)
  const total = buckets.length > 0 ? (buckets[buckets.length - 1] as { count: number }).count : 0
  const bound = (q: number) => {
    const hit = buckets.find((b) => b.count >= q * total)
    if (total === 0 || hit === undefined) return null
    return Number.isFinite(hit.le) ? hit.le * 1000 : `>${buckets.length > 1 ? (buckets[buckets.length - 2] as { le: number }).le * 1000 : 0}`
  }
  const byLabel = (name: string, pick: (l: Labels) => string) => {
    const out: Record<string, number> = {}
    for (const s of after.filter((x) => x.name === name)) {
      const d = delta(s)
      if (d !== 0) out[pick(s.labels)] = d
    }
    return out
  }
  process.stdout.write(
    `${JSON.stringify({
      ack_count: total,
      ack_p50_le_ms: bound(0.5),
      ack_p99_le_ms: bound(0.99),
      outcomes: byLabel('gateway_radius_accounting_requests_total', (l) => `${l.status_type}:${l.outcome}`),
      drops: byLabel('gateway_radius_accounting_drops_total', (l) => l.reason ?? ''),
      duplicates: byLabel('gateway_radius_accounting_duplicates_total', (l) => l.kind ?? ''),
    })}\n`,
  )
}

// --- summary

interface LoadResult {
  sent: number
  sessions: number
  rounds: number
  parallel: number
  responses: number
  lost: number
  retransmits: number
  wall_s: number
  rate: number
  cpu_s: number
  cpu_total_s?: number
  p50_ms: number | null
  p99_ms: number | null
}
interface PhaseRow {
  kind: 'phase'
  target: string
  round: number
  phase: 'start' | 'interim'
  load: LoadResult
  server_cpu_s: number
  host_cpu_s: number
  /** Wall time around the whole loader process, the interval host_cpu_s and server_cpu_s cover. */
  interval_s: number
  /** 1 stored, 0 something acknowledged is missing, 2 inconclusive (requests went unanswered). */
  verified: number
  verify: string
  server: { ack_p99_le_ms: number | string | null; outcomes: Record<string, number>; drops: Record<string, number> } | null
}
interface MixedRow {
  kind: 'mixed'
  target: string
  loader: string
  rate: number | null
  ok: number
  rc: number
  line: string
  loadgen_cpu: string
}
interface ErrorRow {
  kind: 'error'
  target: string
  round: number
  message: string
}
interface InfoRow {
  kind: 'info'
  [key: string]: unknown
}
type Row = PhaseRow | MixedRow | ErrorRow | InfoRow

const TARGETS: Record<string, string> = {
  gateway: 'gateway (ours)',
  'freeradius-sql': 'FreeRADIUS+SQL',
  'node-pg': 'Node+PG batched',
  'node-limit': 'Node limit (no DB)',
}
const PHASES = { start: 'Starts', interim: 'Interim-Updates' } as const

/** CPU the rest of the host used while the loader ran (start-up included), as % of one core. */
function otherCpu(r: PhaseRow): number {
  if (r.host_cpu_s === undefined || r.interval_s === undefined || r.interval_s <= 0) return Number.NaN
  return (100 * Math.max(0, r.host_cpu_s - r.server_cpu_s - (r.load.cpu_total_s ?? r.load.cpu_s))) / r.interval_s
}

function median(values: number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = Math.floor(v.length / 2)
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2
}
const fmtInt = (n: number | null) => (n === null ? '-' : Math.round(n).toLocaleString('en-US'))
const fmtMs = (n: number | null | undefined) => (n === null || n === undefined ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1))
function table(header: string[], rows: string[][], right: boolean[]): string {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(width[i] as number) : c.padEnd(width[i] as number))).join('  ').trimEnd()
  return [line(header), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

function summary(file: string): void {
  const rows: Row[] = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row)
  const info = rows.find((r): r is InfoRow => r.kind === 'info')
  const phases = rows.filter((r): r is PhaseRow => r.kind === 'phase')
  const errors = rows.filter((r): r is ErrorRow => r.kind === 'error')
  const mixed = rows.filter((r): r is MixedRow => r.kind === 'mixed')
  const out: string[] = []
  const say = (s = '') => out.push(s)

  say('='.repeat(100))
  say('RADIUS accounting benchmark: Accounting-Requests acknowledged per second, storage on PostgreSQL 15')
  say('(fsync=on, synchronous_commit=on; a reply means the write committed), loopback, same machine, same run.')
  if (info !== undefined) {
    say(`${info.date} | ${info.cores} cores | node ${info.node} | ${info.postgres} | ${info.freeradius} | gateway ${info.commit}`)
    say(
      `per round: ${info.sessions} sessions' Starts, then ${info.interim_rounds} rounds of their Interim-Updates ` +
        `(${Number(info.sessions) * Number(info.interim_rounds)} packets); ${info.parallel} in flight; ` +
        `loader bench/accounting/acct-loader.ts (Node); ` +
        `${info.rounds} of ${info.rounds_planned} interleaved round(s), medians`,
    )
  }
  say()
  const byPhase: string[][] = []
  for (const phase of ['start', 'interim'] as const) {
    for (const target of Object.keys(TARGETS)) {
      const runs = phases.filter((r) => r.phase === phase && r.target === target).sort((a, b) => a.round - b.round)
      if (runs.length === 0) {
        if (errors.some((e) => e.target === target)) byPhase.push([PHASES[phase], TARGETS[target] as string, 'FAILED'])
        continue
      }
      const rate = median(runs.map((r) => r.load.rate))
      const cpu = median(runs.map((r) => r.load.responses / r.server_cpu_s))
      const lcpu = median(runs.map((r) => (100 * r.load.cpu_s) / r.load.wall_s))
      const other = median(runs.map((r) => otherCpu(r)))
      const lost = runs.reduce((n, r) => n + r.load.lost, 0)
      const stored = runs.some((r) => r.verified === 0) ? 'NO' : lost > 0 ? `lost ${lost}` : 'yes'
      const srvP99 = target === 'gateway' ? runs.map((r) => {
        const b = r.server?.ack_p99_le_ms
        return b === null || b === undefined ? '-' : typeof b === 'number' ? `<=${b}` : b
      }).join('/') : ''
      byPhase.push([
        PHASES[phase],
        TARGETS[target] as string,
        fmtInt(rate),
        runs.map((r) => r.load.rate).join('/'),
        fmtMs(median(runs.map((r) => r.load.p50_ms ?? Number.NaN))),
        fmtMs(median(runs.map((r) => r.load.p99_ms ?? Number.NaN))),
        srvP99,
        fmtInt(cpu),
        lcpu === null ? '-' : `${Math.round(lcpu)}%`,
        other === null ? '-' : `${Math.round(other)}%`,
        stored,
      ])
    }
  }
  say(
    table(
      ['phase', 'target', 'acct/s', 'runs', 'p50 ms', 'p99 ms', 'srv p99 ms', 'acct/srv-CPU-s', 'loadgen CPU', 'other CPU', 'stored'],
      byPhase,
      [false, false, true, false, true, true, false, true, true, true, false],
    ),
  )
  say()
  say('p50/p99 ms: acknowledgement latency per request at the load generator (first send -> valid reply).')
  say("srv p99 ms: bucket bound of the gateway's own gateway_radius_accounting_ack_seconds histogram, per round.")
  say('acct/srv-CPU-s: answers per CPU-second of the server and its PostgreSQL; CPU columns are % of one core.')
  say('other CPU: what the rest of the host burned during the load (not server, PostgreSQL or loader).')
  const busy = phases.filter((r) => otherCpu(r) > 25)
  if (busy.length > 0) {
    say(`! other processes took over a quarter of a core during: ${busy.map((r) => `${r.target} ${r.phase} r${r.round} (${Math.round(otherCpu(r))}%)`).join(', ')}.`)
    say('  Those loads are depressed; the medians damp this, but rerun on a quiet host if one matters.')
  }
  const gw = phases.filter((r) => r.target === 'gateway' && r.server !== null)
  if (gw.length > 0) {
    const tally: Record<string, number> = {}
    for (const r of gw) for (const [k, v] of Object.entries(r.server?.outcomes ?? {})) tally[k] = (tally[k] ?? 0) + v
    const drops: Record<string, number> = {}
    for (const r of gw) for (const [k, v] of Object.entries(r.server?.drops ?? {})) drops[k] = (drops[k] ?? 0) + v
    say(`gateway outcomes (all rounds, from its metrics): ${Object.entries(tally).map(([k, v]) => `${k}=${v}`).join(' ') || '-'}` +
      `; drops: ${Object.entries(drops).map(([k, v]) => `${k}=${v}`).join(' ') || 'none'}`)
  }
  for (const r of phases.filter((x) => x.verified !== 1 || x.load.lost > 0 || x.load.retransmits > 0)) {
    const cut = r.load.wall_s >= Number(info?.load_max_s ?? Number.POSITIVE_INFINITY) - 0.5
    say(`! ${TARGETS[r.target]} ${PHASES[r.phase]} round ${r.round}: ${r.load.lost} of ${r.load.sent} unanswered` +
      `${cut ? ` when the load was cut at LOAD_MAX_S=${info?.load_max_s}s` : ''}, ${r.load.retransmits} retransmissions; ${r.verify}`)
    if (cut && r.phase === 'start') say('  (the Interim-Updates that follow then also create the sessions whose Start went unanswered)')
  }
  for (const e of errors) say(`! ${e.target} round ${e.round}: ${e.message}`)

  // Ratios: per round (same minute, same host state), then the median of those.
  say()
  say('Targets from the issue (ratio of acct/s within each round, median over rounds):')
  const targetRows: string[][] = []
  const ratio = (phase: 'start' | 'interim', ref: string, need: number) => {
    const per: number[] = []
    for (const ours of phases.filter((r) => r.target === 'gateway' && r.phase === phase)) {
      const theirs = phases.find((r) => r.target === ref && r.phase === phase && r.round === ours.round)
      if (theirs !== undefined && theirs.load.rate > 0) per.push(ours.load.rate / theirs.load.rate)
    }
    const m = median(per)
    targetRows.push([
      PHASES[phase],
      `gateway / ${TARGETS[ref]}`,
      m === null ? '-' : `${m.toFixed(2)}x`,
      per.map((x) => x.toFixed(2)).join('/'),
      `>= ${need}x`,
      m === null ? 'n/a' : m >= need ? 'PASS' : 'MISS',
    ])
  }
  ratio('interim', 'freeradius-sql', 3)
  ratio('interim', 'node-limit', 0.5)
  ratio('start', 'freeradius-sql', 1.5)
  say(table(['phase', 'ratio', 'median', 'per round', 'target', ''], targetRows, [false, false, true, false, false, false]))

  if (mixed.length > 0) {
    say()
    say("The peers' standard mixed load (their load/acct-load.sh: N/10 sessions, one Start each, then Interim-Updates")
    say("round-robin), each server started fresh and warmed up by its run.sh (ours: bench/accounting/gateway/run.sh):")
    say(
      table(
        ['target', 'loader', 'acct/s', 'loadgen CPU', 'stored', 'load'],
        mixed.map((m) => [
          TARGETS[m.target] ?? m.target,
          m.loader,
          fmtInt(m.rate),
          m.loadgen_cpu,
          m.rc === 0 ? 'yes' : m.rc === 3 ? 'NO' : `failed (exit ${m.rc})`,
          ['sent', 'lost', 'wall_s', 'udp_drops', 'sessions'].map((k) => `${k}=${new RegExp(`\\b${k}=(\\S+)`).exec(m.line)?.[1] ?? '?'}`).join(' '),
        ]),
        [false, false, true, true, false, false],
      ),
    )
    if (mixed.some((m) => m.loader === 'radclient')) {
      say('radclient rows are for reference: radclient 3.2.1 re-walks its request list after every reply, so it')
      say('burns most of a core and caps out around 10k/s and above; the capacity figures are the node-loader rows.')
    }
  }
  say('='.repeat(100))
  process.stdout.write(`${out.join('\n')}\n`)
}

const [command, ...args] = process.argv.slice(2)
if (command === 'metrics-delta' && args.length === 2) metricsDelta(args[0] as string, args[1] as string)
else if (command === 'summary' && args.length === 1) summary(args[0] as string)
else {
  process.stderr.write('usage: report.ts metrics-delta BEFORE AFTER | summary RESULTS.jsonl\n')
  process.exit(2)
}
