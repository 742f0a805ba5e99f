// Runs leased jobs: polls for due work (and at once when nudged by this instance), runs each
// handler, retries failures with exponential backoff, and on shutdown stops leasing, waits for
// running jobs a little, and releases what is left for another instance.
import { randomUUID } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Logger } from 'pino'
import { completeJob, failJob, type JobLease, type LeasedJob, leaseJobs, releaseJobs, renewLease } from '../db/jobs.ts'
import type { Database } from '../db/schema.ts'
import { afterCommit } from '../db/transaction.ts'

/** Thrown by a handler whose job is not failing but waiting (e.g. for accounting): run it again after `delayMs`. */
export class RetryLater extends Error {
  readonly delayMs: number
  constructor(message: string, delayMs: number) {
    super(message)
    this.delayMs = delayMs
  }
}

/**
 * A running job. `complete(trx)` marks it done inside the handler's own transaction (opened with
 * withTransaction), so the work and "done" commit together: one commit fewer per job, and no
 * window where the work is durable but the job still due. Once that commits the worker does not
 * mark the job again; without it the worker marks it done after the handler returns.
 */
export type RunningJob = LeasedJob & {
  complete(trx: Transaction<Database>): Promise<void>
  /** The same for a single statement that marks the job done itself (moveAttemptThrough's `complete`). */
  readonly lease: JobLease
}

/** A job handler: resolve when done, throw to retry. */
export type JobHandler = (job: RunningJob) => Promise<void>

/** The worker of one instance. */
export interface JobWorker {
  /** Look for work now (after enqueueing something). */
  nudge(): void
  stop(graceMs: number): Promise<void>
}

/** Options of the worker. */
export interface JobWorkerOptions {
  db: Kysely<Database>
  log: Logger
  handlers: Record<string, JobHandler>
  concurrency?: number
  pollMs?: number
  leaseMs?: number
  /** Backoff before retry n (1-based): base · 2^(n−1), capped. */
  backoffBaseMs?: number
  backoffMaxMs?: number
}

/** Start a worker. */
export function startJobWorker(options: JobWorkerOptions): JobWorker {
  const worker = `worker-${randomUUID()}`
  // Lifts mostly wait on a NAS (up to a minute for a silent one): many may run at once.
  const concurrency = options.concurrency ?? 16
  // Short leases, renewed while the job runs: a crashed instance's jobs are due again within seconds.
  const leaseMs = options.leaseMs ?? 15_000
  const kinds = Object.keys(options.handlers)
  const running = new Set<Promise<void>>()
  let stopped = false
  let polling = false
  let again = false
  const timer = setInterval(() => poll(), options.pollMs ?? 1000)
  timer.unref()

  async function run(job: LeasedJob): Promise<void> {
    const handler = options.handlers[job.kind]!
    const heartbeat = setInterval(() => void renewLease(options.db, job.id, worker, leaseMs).catch(() => {}), leaseMs / 3)
    let completed = false
    const lease: JobLease = {
      id: job.id,
      worker,
      committed: () => {
        completed = true
      },
    }
    const current: RunningJob = {
      ...job,
      lease,
      async complete(trx) {
        await completeJob(trx, job.id, worker)
        afterCommit(trx, lease.committed)
      },
    }
    try {
      await handler(current)
      if (!completed) await completeJob(options.db, job.id, worker)
    } catch (err) {
      const giveUp = job.tries >= job.maxTries
      const waiting = err instanceof RetryLater
      const delay = waiting ? err.delayMs : Math.min((options.backoffBaseMs ?? 2000) * 2 ** (job.tries - 1), options.backoffMaxMs ?? 300_000)
      if (waiting && !giveUp) options.log.debug({ job: job.id, kind: job.kind, tries: job.tries, delayMs: delay, why: err.message }, 'job waiting')
      else options.log.warn({ job: job.id, kind: job.kind, tries: job.tries, giveUp, err: (err as Error).message }, 'job failed')
      await failJob(options.db, job.id, worker, (err as Error).message, delay, giveUp).catch(() => {})
    } finally {
      clearInterval(heartbeat)
    }
  }

  async function poll(): Promise<void> {
    if (stopped) return
    if (polling) {
      again = true
      return
    }
    polling = true
    try {
      do {
        again = false
        const free = concurrency - running.size
        if (free <= 0) break
        const jobs = await leaseJobs(options.db, worker, kinds, free, leaseMs)
        for (const job of jobs) {
          const p = run(job).finally(() => {
            running.delete(p)
            if (!stopped) void poll()
          })
          running.add(p)
        }
        if (jobs.length === free) again = true
      } while (again && !stopped)
    } catch (err) {
      options.log.warn({ err: (err as Error).message }, 'cannot lease jobs; will try again')
    } finally {
      polling = false
    }
  }

  void poll()
  return {
    nudge: () => void poll(),
    async stop(graceMs) {
      stopped = true
      clearInterval(timer)
      if (running.size > 0) {
        await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, graceMs).unref())])
      }
      await releaseJobs(options.db, worker).catch(() => {})
    },
  }
}
