// Durable jobs in PostgreSQL: enqueued inside the transaction that makes them necessary, leased
// with FOR UPDATE SKIP LOCKED so that any number of instances share the work and no job runs
// twice at once; a lease that expires (a crashed instance) makes the job due again.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from './schema.ts'

type Db = Kysely<Database> | Transaction<Database>

/** A job as a worker receives it. */
export interface LeasedJob {
  id: number
  kind: string
  payload: unknown
  tries: number
  maxTries: number
}

/** A job to enqueue. */
export interface NewJob {
  kind: string
  payload: unknown
  dedupeKey?: string
  runAt?: Date
  maxTries?: number
}

/** Tries a job gets when its enqueuer does not say (the jobs.max_tries column's default too). */
export const DEFAULT_MAX_TRIES = 10

/**
 * The lease a running job holds, for a statement that marks the job done as part of its own work
 * (see moveAttemptThrough): `committed` is called once that statement's transaction committed, so
 * the worker does not mark the job again.
 */
export interface JobLease {
  readonly id: number
  readonly worker: string
  committed(): void
}

/** Enqueue a job; a job with the same dedupe key is enqueued once. */
export async function enqueueJob(db: Db, job: NewJob): Promise<void> {
  await db
    .insertInto('jobs')
    .values({
      kind: job.kind,
      payload: JSON.stringify(job.payload),
      dedupeKey: job.dedupeKey ?? null,
      runAt: job.runAt ?? new Date(),
      maxTries: job.maxTries ?? DEFAULT_MAX_TRIES,
    })
    .onConflict((oc) => oc.column('dedupeKey').doNothing())
    .execute()
}

/** Lease up to `limit` due jobs of `kinds` for `leaseMs`. */
export async function leaseJobs(db: Kysely<Database>, worker: string, kinds: string[], limit: number, leaseMs: number): Promise<LeasedJob[]> {
  const result = await sql<LeasedJob>`
    with due as (
      select id from jobs
      where done_at is null and run_at <= now() and kind = any(${kinds}::text[])
        and (locked_until is null or locked_until < now())
      order by run_at, id
      limit ${limit}
      for update skip locked
    )
    update jobs j set locked_by = ${worker}, locked_until = now() + ${leaseMs} * interval '1 millisecond', tries = j.tries + 1
    from due where j.id = due.id
    returning j.id, j.kind, j.payload, j.tries, j.max_tries`.execute(db)
  return result.rows
}

/** Extend the lease of a job `worker` is still running. */
export async function renewLease(db: Kysely<Database>, id: number, worker: string, leaseMs: number): Promise<void> {
  await sql`update jobs set locked_until = now() + ${leaseMs} * interval '1 millisecond' where id = ${id} and locked_by = ${worker} and done_at is null`.execute(db)
}

/** Mark a leased job done (in the transaction that did its work, or on its own). */
export async function completeJob(db: Db, id: number, worker: string): Promise<void> {
  await db.updateTable('jobs').set({ doneAt: new Date(), lockedBy: null, lockedUntil: null }).where('id', '=', id).where('lockedBy', '=', worker).execute()
}

/** Put a leased job back to run after `delayMs`, or finish it for good when `giveUp`. */
export async function failJob(db: Kysely<Database>, id: number, worker: string, error: string, delayMs: number, giveUp: boolean): Promise<void> {
  await db
    .updateTable('jobs')
    .set({
      lastError: error.slice(0, 2000),
      lockedBy: null,
      lockedUntil: null,
      runAt: new Date(Date.now() + delayMs),
      ...(giveUp ? { doneAt: new Date() } : {}),
    })
    .where('id', '=', id)
    .where('lockedBy', '=', worker)
    .execute()
}

/** Release every lease `worker` holds (graceful shutdown: another instance takes them now). */
export async function releaseJobs(db: Kysely<Database>, worker: string): Promise<number> {
  const result = await db.updateTable('jobs').set({ lockedBy: null, lockedUntil: null }).where('lockedBy', '=', worker).where('doneAt', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Queue depth and the age of the oldest due job, for metrics. */
export async function jobBacklog(db: Kysely<Database>): Promise<{ due: number; oldestSeconds: number }> {
  const row = await sql<{ due: number; oldest: number | null }>`
    select count(*)::int as due, extract(epoch from now() - min(run_at))::float8 as oldest
    from jobs where done_at is null and run_at <= now()`.execute(db)
  return { due: row.rows[0]?.due ?? 0, oldestSeconds: row.rows[0]?.oldest ?? 0 }
}
