// Percentiles of latency samples and the plain-text tables the benchmark prints.

/** Latency summary of one measured series, in milliseconds. */
export interface LatencySummary {
  count: number
  p50: number
  p99: number
  max: number
  /** Completed operations per second of wall time. */
  perSecond: number
}

/** Nearest-rank percentiles of `samples` (ms) over `wallMs` of wall time. */
export function summarise(samples: readonly number[], wallMs: number): LatencySummary {
  const sorted = Float64Array.from(samples).sort()
  const rank = (p: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!)
  return {
    count: sorted.length,
    p50: rank(0.5),
    p99: rank(0.99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
    perSecond: wallMs > 0 ? (sorted.length * 1000) / wallMs : Number.NaN,
  }
}

/** `value` with `digits` decimals, or "n/a". */
export function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a'
}

/** MB (10^6 bytes) from kB as /proc reports it (KiB). */
export function kbToMb(kb: number): number {
  return (kb * 1024) / 1e6
}

/** A fixed-width text table: first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  const line = (row: readonly string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ').trimEnd()
  const [head, ...body] = rows
  if (head === undefined) return ''
  return [line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n')
}

/** A seeded PRNG (mulberry32), so the sampled addresses are the same in every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
