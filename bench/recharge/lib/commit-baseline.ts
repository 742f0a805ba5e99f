// The bare durable commit on the same cluster: one-row INSERTs in autocommit (each its own
// commit, WAL flushed to disk before the answer: fsync and synchronous_commit on), `connections`
// clients each one at a time, for `durationMs`. A lift job makes several such commits one after
// another, so this round trip is its floor.
import pg from 'pg'
import { percentile } from './stats.ts'

/** What one series measured. */
export interface CommitSeries {
  connections: number
  perSecond: number
  p50Ms: number
  p99Ms: number
}

/** Run one series against `url` (a scratch table is created and dropped). */
export async function commitSeries(url: string, connections: number, durationMs: number): Promise<CommitSeries> {
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      return c
    }),
  )
  try {
    await clients[0]!.query('create table if not exists bench_commit (id bigserial primary key, at timestamptz not null default now())')
    const latencies: number[] = []
    const start = performance.now()
    const deadline = start + durationMs
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < deadline) {
          const t0 = performance.now()
          await c.query('insert into bench_commit default values')
          latencies.push(performance.now() - t0)
        }
      }),
    )
    const wallMs = performance.now() - start
    await clients[0]!.query('drop table bench_commit')
    return { connections, perSecond: latencies.length / (wallMs / 1000), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) }
  } finally {
    await Promise.all(clients.map((c) => c.end()))
  }
}
