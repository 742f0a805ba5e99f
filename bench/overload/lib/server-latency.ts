// The gateway's own view of /portal latency: its gateway_http_request_duration_seconds histogram
// (from onRequest to the response, so without the time a request waited in socket queues or for
// the event loop) read from /metrics before and after a phase; the 99th percentile is given as
// the histogram bucket bound that holds it.

/** Cumulative count per bucket bound (seconds; Infinity for +Inf) of 200 answers to GET /portal. */
export type Buckets = Map<number, number>

/** Scrape the histogram's /portal 200 buckets from the gateway on `port`. */
export async function portalBuckets(port: number): Promise<Buckets> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())
  const buckets: Buckets = new Map()
  for (const line of text.split('\n')) {
    if (!line.startsWith('gateway_http_request_duration_seconds_bucket{')) continue
    if (!line.includes('route="/portal"') || !line.includes('status="200"') || !line.includes('method="GET"')) continue
    const le = /le="([^"]+)"/.exec(line)?.[1]
    const count = Number(line.slice(line.lastIndexOf(' ') + 1))
    if (le !== undefined) buckets.set(le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count)
  }
  return buckets
}

/** "≤ N ms" for the bucket holding the 99th percentile of the answers between two scrapes. */
export function p99Bound(before: Buckets, after: Buckets): string {
  const bounds = [...after.keys()].sort((x, y) => x - y)
  const delta = (le: number) => (after.get(le) ?? 0) - (before.get(le) ?? 0)
  const total = bounds.length === 0 ? 0 : delta(bounds[bounds.length - 1]!)
  if (total === 0) return 'n/a'
  const hit = bounds.find((le) => delta(le) >= 0.99 * total)!
  return Number.isFinite(hit) ? `≤ ${hit * 1000}` : `> ${bounds[bounds.length - 2]! * 1000}`
}
