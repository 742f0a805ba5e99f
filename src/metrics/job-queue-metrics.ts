// Job queue depth and the age of the oldest waiting job per kind, read from the jobs table when
// Prometheus scrapes (one grouped query over the partial index of jobs not done; never per job
// run). A scrape never fails because of the database: when it cannot answer within a second,
// gateway_jobs_queue_up is 0 and the depth and age series are left out rather than shown stale.
import { sql, type Kysely } from 'kysely'
import { Gauge, type Registry } from 'prom-client'
import type { Database } from '../db/schema.ts'

/** The kinds the gateway runs: always present (0 when none wait), so a panel never shows "no data". */
export const JOB_KINDS = ['lift', 'credit', 'psp-reconcile'] as const

const GAUGES = 4

interface KindSample {
  kind: string
  waiting: number
  due: number
  oldestSeconds: number
}

/** Register the queue gauges on `registry`, read from `db` on scrape. */
export function registerJobQueueMetrics(registry: Registry, db: Kysely<Database>, options: { timeoutMs?: number } = {}): void {
  const timeoutMs = options.timeoutMs ?? 1000
  let outstanding: Promise<KindSample[]> | null = null
  let sampling: { at: number; uses: number; result: Promise<KindSample[] | null> } | null = null

  // The four gauges are collected one after another in one scrape: they share one query; the next
  // scrape (or anything a second later) asks again.
  function sample(): Promise<KindSample[] | null> {
    if (sampling !== null && sampling.uses < GAUGES && Date.now() - sampling.at < 1000) {
      sampling.uses++
      return sampling.result
    }
    // A query still waiting from an earlier scrape (a locked table, a slow server) is awaited
    // again rather than joined by another: scrapes never pile connections up on a stuck database.
    if (outstanding === null) {
      outstanding = sql<KindSample>`
        select kind, count(*)::int as waiting,
          count(*) filter (where run_at <= now() and (locked_until is null or locked_until < now()))::int as due,
          extract(epoch from now() - min(created_at))::float8 as oldest_seconds
        from jobs where done_at is null group by kind`
        .execute(db)
        .then((r) => r.rows)
        .finally(() => {
          outstanding = null
        })
    }
    const query = outstanding
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs)
    })
    const result = Promise.race([query, timeout])
      .catch(() => null)
      .finally(() => clearTimeout(timer))
    sampling = { at: Date.now(), uses: 1, result }
    return result
  }

  /** A per-kind gauge filled from the shared sample; left empty when the database did not answer. */
  function kindGauge(name: string, help: string, value: (row: KindSample) => number): void {
    new Gauge({
      name,
      help,
      labelNames: ['kind'],
      registers: [registry],
      async collect() {
        const rows = await sample()
        this.reset()
        if (rows === null) return
        for (const kind of JOB_KINDS) this.set({ kind }, 0)
        for (const row of rows) this.set({ kind: row.kind }, value(row))
      },
    })
  }

  new Gauge({
    name: 'gateway_jobs_queue_up',
    help: '1 when this scrape could read the job queue from the database, 0 when it could not',
    registers: [registry],
    async collect() {
      this.set((await sample()) === null ? 0 : 1)
    },
  })
  kindGauge('gateway_jobs_queue_depth', 'Jobs not done yet (waiting, retrying later or running), by kind', (r) => r.waiting)
  kindGauge('gateway_jobs_queue_due', 'Jobs due now and not running (a backlog the workers have not reached), by kind', (r) => r.due)
  kindGauge('gateway_jobs_oldest_age_seconds', 'Age of the oldest job not done yet, by kind (0 when none waits)', (r) => r.oldestSeconds)
}
