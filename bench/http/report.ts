// Summary of one `npm run bench:http` run: reads results.jsonl (one line per measurement) and prints
// the tables. Medians over rounds; ratios are taken within each round, then their median.
//
//   node report.ts RESULTS.jsonl [OUT_DIR]
import { readFileSync } from 'node:fs'

interface Redirect {
  part: 'redirect'
  name: string
  label: string
  round: number
  rps: number
  p99_ms: number
  server_cpu: number
  loadgen_cpu: number
  host_cpu: number
  steal_cpu: number
}
interface Portal {
  part: 'portal'
  name: string
  round: number
  sources: number
  concurrency: number
  requests: number
  checked: number
  mismatches: number
  errors: number
  rps: number
  p50_ms: number
  p99_ms: number
  max_ms: number
  body_bytes_avg: number
  loadgen_cpu: number
  host_cpu: number
  steal_cpu: number
  server_cpu: Record<string, number>
  warmup: { rps: number }
  per_source_avg: number
}
type Row = Redirect | Portal | { part: 'page'; bytes: number; gzip_bytes: number } | { part: 'pg_slow'; count: number }

const [file, outDir] = process.argv.slice(2)
if (file === undefined) {
  process.stderr.write('usage: node report.ts RESULTS.jsonl [OUT_DIR]\n')
  process.exit(2)
}
const rows: Row[] = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Row)

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—')
const ms = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : '—')
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x)}%` : '—')
const ratio = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—')
function table(head: string[], body: string[][], right: boolean[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)))
  const fmt = (r: string[]) => r.map((c, i) => (right[i] ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd()
  return [fmt(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(fmt)].join('\n')
}
/** Per round, a/b; then the median. */
function roundRatio<T extends { name: string; round: number; rps: number }>(xs: T[], a: string, b: string): number {
  const rounds = [...new Set(xs.map((x) => x.round))]
  return median(
    rounds.map((r) => {
      const num = xs.find((x) => x.name === a && x.round === r)?.rps
      const den = xs.find((x) => x.name === b && x.round === r)?.rps
      return num !== undefined && den ? num / den : NaN
    }),
  )
}

const out: string[] = []
const others: number[] = []
const targets: string[][] = []
const verdict = (ok: boolean, measured: number) => (Number.isFinite(measured) ? (ok ? 'PASS' : 'MISS') : 'n/a')

// ---- part 1 --------------------------------------------------------------------------------------
const redirect = rows.filter((r): r is Redirect => r.part === 'redirect')
if (redirect.length > 0) {
  const names = [...new Set(redirect.map((r) => r.name))]
  const rounds = new Set(redirect.map((r) => r.round)).size
  const gwRatio = roundRatio(redirect, 'gateway', 'fastify')
  const body = names.map((name) => {
    const xs = redirect.filter((r) => r.name === name)
    const r = name === 'gateway' ? gwRatio : roundRatio(redirect, name, 'fastify')
    return [
      xs[0]!.label,
      int(median(xs.map((x) => x.rps))),
      ms(median(xs.map((x) => x.p99_ms))),
      name === 'fastify' ? '1.00 (ref)' : ratio(r),
      name === 'gateway' ? '≥ 0.80' : '',
      name === 'gateway' ? verdict(gwRatio >= 0.8, gwRatio) : '',
      pct(median(xs.map((x) => x.server_cpu))),
      pct(median(xs.map((x) => x.loadgen_cpu))),
      pct(median(xs.map((x) => x.host_cpu - x.server_cpu - x.loadgen_cpu))),
      xs.map((x) => int(x.rps)).join(' / '),
    ]
  })
  out.push(
    `Part 1 — catch-all redirect: wrk -t1 -c64 --latency, Host: example.com, Accept: text/html; median of ${rounds} interleaved round(s)`,
    table(
      ['row', 'req/s', 'p99 ms', 'ratio vs Fastify', 'target', 'result', 'server CPU', 'wrk CPU', 'other CPU', 'runs req/s'],
      body,
      [false, true, true, true, false, false, true, true, true, false],
    ),
    '',
  )
  targets.push(['catch-all 302 req/s ÷ bare Fastify 302 req/s', '≥ 0.80', ratio(gwRatio), verdict(gwRatio >= 0.8, gwRatio)])
}

// ---- part 2 --------------------------------------------------------------------------------------
const portal = rows.filter((r): r is Portal => r.part === 'portal')
if (portal.length > 0) {
  const labels: Record<string, string> = {
    portal: 'gateway GET /portal (PG lookup + page)',
    healthz: 'gateway GET /healthz (no DB)',
    static: 'bare Fastify, static copy of the page',
  }
  const rounds = new Set(portal.map((r) => r.round)).size
  const first = portal[0]!
  const p = portal.filter((r) => r.name === 'portal')
  const pagesPerS = median(p.map((x) => x.rps))
  const p99 = median(p.map((x) => x.p99_ms))
  const names = [...new Set(portal.map((r) => r.name))]
  const body = names.map((name) => {
    const xs = portal.filter((r) => r.name === name)
    const cpu = (k: string) => median(xs.map((x) => x.server_cpu[k] ?? NaN))
    const srv = name === 'static' ? cpu('fastify') : cpu('gateway')
    const pg = name === 'static' ? NaN : cpu('postgres')
    return [
      labels[name] ?? name,
      int(median(xs.map((x) => x.rps))),
      ms(median(xs.map((x) => x.p50_ms))),
      ms(median(xs.map((x) => x.p99_ms))),
      name === 'portal' ? '1.00' : ratio(roundRatio(portal, 'portal', name)),
      name === 'portal' ? '≥ 5000/s; p99 ≤ 50' : '',
      name === 'portal' ? `${verdict(pagesPerS >= 5000, pagesPerS)}; ${verdict(p99 <= 50, p99)}` : '',
      pct(srv),
      pct(pg),
      pct(median(xs.map((x) => x.loadgen_cpu))),
      pct(median(xs.map((x) => x.host_cpu - (x.server_cpu.gateway ?? x.server_cpu.fastify ?? 0) - (x.server_cpu.postgres ?? 0) - x.loadgen_cpu))),
      `${int(xs.reduce((a, x) => a + x.checked, 0))}/${int(xs.reduce((a, x) => a + x.mismatches + x.errors, 0))}`,
      xs.map((x) => int(x.rps)).join(' / '),
    ]
  })
  out.push(
    `Part 2 — GET over keep-alive from ${int(first.sources)} distinct 127/8 source addresses, ${first.concurrency} in flight; median of ${rounds} interleaved round(s)`,
    table(
      ['row', 'req/s', 'p50 ms', 'p99 ms', 'portal ÷ row', 'target', 'result', 'server CPU', 'PG CPU', 'loadgen CPU', 'other CPU', 'checked/bad', 'runs req/s'],
      body,
      [false, true, true, true, true, false, false, true, true, true, true, true, false],
    ),
  )
  const page = rows.find((r) => r.part === 'page') as { bytes: number; gzip_bytes: number } | undefined
  const slow = rows.find((r) => r.part === 'pg_slow') as { count: number } | undefined
  const maxPerSource = Math.max(...p.map((x) => x.per_source_avg))
  out.push(
    `  pages: ${page ? `${int(page.bytes)} B (${int(page.gzip_bytes)} B gzip); ` : ''}every response checked for status 200${first.checked >= first.requests ? ' and its line\'s masked number' : ''}; ` +
      `≤ ${maxPerSource} /portal requests per source per run (rate limit 60/min)` +
      (slow ? `; PostgreSQL statements > 20 ms during the loads: ${slow.count}${outDir ? ` (${outDir}/pg-slow.log)` : ''}` : ''),
    '',
  )
  const portalRatio = roundRatio(portal, 'portal', 'static')
  targets.push(['/portal pages/s', '≥ 5000', int(pagesPerS), verdict(pagesPerS >= 5000, pagesPerS)])
  targets.push(['/portal p99 (client side)', '≤ 50 ms', `${ms(p99)} ms`, verdict(p99 <= 50, p99)])
  targets.push(['/portal ÷ bare Fastify static page (no target)', '—', ratio(portalRatio), '—'])
}

for (const r of redirect) others.push(r.host_cpu - r.server_cpu - r.loadgen_cpu)
for (const r of portal) others.push(r.host_cpu - (r.server_cpu.gateway ?? r.server_cpu.fastify ?? 0) - (r.server_cpu.postgres ?? 0) - r.loadgen_cpu)
const busiest = Math.max(...others)
if (busiest > 25) {
  out.push(
    `NOTE: other processes on this host took up to ${Math.round(busiest)}% of a core during a measurement (median ${Math.round(median(others))}%).`,
    '      Absolute req/s are depressed and p99s inflated; the ratios within a round hold better. Rerun on a quiet host for absolutes.',
    '',
  )
}
if (targets.length > 0) {
  out.push('Targets', table(['target', 'wanted', 'measured', 'result'], targets, [false, false, true, false]), '')
}
out.push(
  'CPU columns are % of one core during the measurement (2 cores = 200%); "other" is everything else on the host',
  '(other jobs, kernel softirq outside the measured processes). Load generators share the 2 cores with the servers.',
)
process.stdout.write(`\n${out.join('\n')}\n`)
