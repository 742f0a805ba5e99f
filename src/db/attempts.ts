// Recharge attempts and their timeline. Ids are 128-bit random (they are capabilities in URLs);
// references are short and readable for support calls.
import { randomBytes, randomInt } from 'node:crypto'
import { type Kysely, sql, type Transaction } from 'kysely'
import { canMove, InvalidTransitionError } from '../recharge/attempt-states.ts'
import { DEFAULT_MAX_TRIES, type JobLease, type NewJob } from './jobs.ts'
import type { AttemptState, Database, RechargeAttempt } from './schema.ts'
import { afterCommit, rootDatabase, withTransaction } from './transaction.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Told of every attempt created and every change of state, once committed (the recharge funnel). */
export interface AttemptObserver {
  created(method: RechargeAttempt['method']): void
  moved(method: RechargeAttempt['method'], to: AttemptState, count?: number): void
}

// Observers per database: every transition goes through this file, so the funnel is counted here
// once instead of in each route, job and adapter that moves an attempt. Keyed by the database
// object (not a global): each app observes its own database, and a test's apps never mix. A
// transaction is traced back to its database by withTransaction, the one way transactions open.
const observers = new WeakMap<Kysely<Database>, Set<AttemptObserver>>()

/** Observe attempts on `db` until the returned function is called. */
export function observeAttempts(db: Kysely<Database>, observer: AttemptObserver): () => void {
  const set = observers.get(db) ?? new Set<AttemptObserver>()
  observers.set(db, set.add(observer))
  return () => void set.delete(observer)
}

function announce(db: Db, tell: (observer: AttemptObserver) => void): void {
  const set = observers.get(rootDatabase(db))
  if (set === undefined || set.size === 0) return
  afterCommit(db, () => set.forEach(tell))
}

const REFERENCE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/** A new attempt's facts. */
export interface NewAttempt {
  msisdn: string
  method: 'voucher' | 'card'
  amountMinor: number | null
  currency: string | null
  sourceAddress: string | null
  realm: string | null
  identifiedHow: string
  continueUrl: string | null
}

/** Create an attempt in state created, with its first timeline event (one statement: one commit). */
export async function createAttempt(db: Db, input: NewAttempt, detail: Record<string, unknown>): Promise<RechargeAttempt> {
  const id = randomBytes(16).toString('base64url')
  const reference = `R${Array.from({ length: 8 }, () => REFERENCE_ALPHABET[randomInt(REFERENCE_ALPHABET.length)]).join('')}`
  // The row and its event in one statement (data-modifying CTEs are atomic): outside a transaction
  // that is one commit and one WAL flush instead of two.
  const attempt = await db
    .with('created', (qb) =>
      qb
        .insertInto('rechargeAttempts')
        .values({ id, reference, state: 'created', voucherSerial: null, providerOrderId: null, supportReason: null, paidAt: null, creditedAt: null, liftedAt: null, confirmedAt: null, ...input })
        .returningAll(),
    )
    .with('event', (qb) => qb.insertInto('attemptEvents').columns(['attemptId', 'kind', 'detail']).expression(sql`select id, 'created', ${JSON.stringify(detail)}::jsonb from created`))
    .selectFrom('created')
    .selectAll()
    .executeTakeFirstOrThrow()
  announce(db, (o) => o.created(attempt.method))
  return attempt
}

/** Append to an attempt's timeline. */
export async function addEvent(db: Db, attemptId: string, kind: string, detail: Record<string, unknown> = {}): Promise<void> {
  await addEvents(db, attemptId, [{ kind, detail }])
}

/**
 * Append several events to an attempt's timeline in one statement, in this order. Written only
 * where the attempt exists (the table has no foreign key, see migration 0009): events for an
 * unknown attempt are an error, not rows.
 */
export async function addEvents(db: Db, attemptId: string, events: { kind: string; detail: Record<string, unknown> }[]): Promise<void> {
  if (events.length === 0) return
  const written = await db
    .insertInto('attemptEvents')
    .columns(['attemptId', 'kind', 'detail'])
    .expression(
      sql`select a.id, e.kind, e.detail::jsonb
        from recharge_attempts a, unnest(${events.map((e) => e.kind)}::text[], ${events.map((e) => JSON.stringify(e.detail))}::text[]) with ordinality as e(kind, detail, n)
        where a.id = ${attemptId}
        order by e.n`,
    )
    .returning('id')
    .execute()
  if (written.length !== events.length) throw new Error(`attempt ${attemptId} does not exist: its events were not written`)
}

/** Lock an attempt row for the rest of the transaction. */
export async function lockAttempt(trx: Transaction<Database>, id: string): Promise<RechargeAttempt | undefined> {
  return trx.selectFrom('rechargeAttempts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

/** One transition: the state moved to, its event's detail, and columns set with it. */
export interface AttemptStep {
  to: AttemptState
  detail?: Record<string, unknown>
  extra?: Partial<Pick<RechargeAttempt, 'paidAt' | 'creditedAt' | 'liftedAt' | 'confirmedAt' | 'amountMinor' | 'currency' | 'voucherSerial' | 'needsSupport' | 'supportReason'>>
}

/**
 * Move an attempt to `to` and record the event, atomically (in the caller's transaction, or as
 * one statement of its own). The update applies only while the attempt is still in the state the
 * caller saw, so a concurrent change is never overwritten: that throws, like a forbidden transition.
 */
export async function moveAttempt(
  db: Db,
  attempt: Pick<RechargeAttempt, 'id' | 'state'>,
  to: AttemptState,
  detail: Record<string, unknown> = {},
  extra: AttemptStep['extra'] = {},
): Promise<void> {
  await moveAttemptThrough(db, attempt, [{ to, detail, extra }])
}

/** Jobs that commit with a move: those it makes necessary, and the running job that made it. */
export interface MoveJobs {
  /** Enqueued with the move (once per dedupe key), only when the move happens. */
  enqueue?: NewJob[]
  /** Marked done with the move (while its lease still holds), only when the move happens. */
  complete?: JobLease
}

/**
 * Move an attempt through `steps` (each an allowed transition from the one before), one timeline
 * event per step, in one statement: the update and the events commit together, and a transaction
 * that moves an attempt twice (paid, then credited) pays one round trip, not four. The jobs in
 * `jobs` join the same statement, so a lift can record "lifted", enqueue its confirm job and mark
 * itself done in one round trip and one commit.
 */
export async function moveAttemptThrough(
  db: Db,
  attempt: Pick<RechargeAttempt, 'id' | 'state'>,
  steps: AttemptStep[],
  /** Events recorded just before the steps' own (what led to the move: a lift's RADIUS exchanges). */
  before: { kind: string; detail: Record<string, unknown> }[] = [],
  jobs: MoveJobs = {},
): Promise<void> {
  let from = attempt.state
  const events = before.map((e) => ({ kind: e.kind, detail: JSON.stringify(e.detail) }))
  for (const step of steps) {
    if (!canMove(from, step.to)) throw new InvalidTransitionError(from, step.to)
    events.push({ kind: step.to, detail: JSON.stringify({ from, ...step.detail }) })
    from = step.to
  }
  if (steps.length === 0) return
  const extra = Object.assign({}, ...steps.map((s) => s.extra ?? {})) as AttemptStep['extra']
  const enqueue = jobs.enqueue ?? []
  const now = new Date()
  // The events and jobs come from the updated row, so none is written when the state was not as
  // seen; the events' ids (the timeline's order) follow the ORDER BY. Without jobs their CTEs
  // write nothing (empty arrays, no job id), and the statement keeps one shape.
  const moved = await db
    .with('moved', (qb) =>
      qb
        .updateTable('rechargeAttempts')
        .set({ state: from, updatedAt: now, ...extra })
        .where('id', '=', attempt.id)
        .where('state', '=', attempt.state)
        .returning(['id', 'method']),
    )
    .with('events', (qb) =>
      qb
        .insertInto('attemptEvents')
        .columns(['attemptId', 'kind', 'detail'])
        .expression(
          sql`select moved.id, e.kind, e.detail::jsonb
            from moved, unnest(${events.map((e) => e.kind)}::text[], ${events.map((e) => e.detail)}::text[]) with ordinality as e(kind, detail, n)
            order by e.n`,
        ),
    )
    .with('enqueued', (qb) =>
      qb
        .insertInto('jobs')
        .columns(['kind', 'payload', 'dedupeKey', 'runAt', 'maxTries'])
        .expression(
          sql`select j.kind, j.payload::jsonb, j.dedupe_key, j.run_at, j.max_tries
            from moved, unnest(${enqueue.map((j) => j.kind)}::text[], ${enqueue.map((j) => JSON.stringify(j.payload))}::text[],
              ${enqueue.map((j) => j.dedupeKey ?? null)}::text[], ${enqueue.map((j) => (j.runAt ?? now).toISOString())}::timestamptz[],
              ${enqueue.map((j) => j.maxTries ?? DEFAULT_MAX_TRIES)}::int[]) as j(kind, payload, dedupe_key, run_at, max_tries)`,
        )
        .onConflict((oc) => oc.column('dedupeKey').doNothing()),
    )
    .with('done', (qb) =>
      qb
        .updateTable('jobs')
        .set({ doneAt: now, lockedBy: null, lockedUntil: null })
        .where(sql<boolean>`id = ${jobs.complete?.id ?? null}::bigint and locked_by = ${jobs.complete?.worker ?? null}::text and exists (select 1 from moved)`),
    )
    .selectFrom('moved')
    .select('method')
    .executeTakeFirst()
  if (moved === undefined) throw new Error(`attempt ${attempt.id} is no longer ${attempt.state}`)
  for (const step of steps) announce(db, (o) => o.moved(moved.method, step.to))
  if (jobs.complete !== undefined) afterCommit(db, jobs.complete.committed)
}

/** Attempts left in "created" by a crash or an error before any payment: expired, with an event. */
export async function expireAbandonedAttempts(db: Kysely<Database>, olderThan: Date): Promise<number> {
  return withTransaction(db, async (trx) => {
    const expired = await trx
      .updateTable('rechargeAttempts')
      .set({ state: 'expired', updatedAt: new Date() })
      .where('state', '=', 'created')
      .where('createdAt', '<', olderThan)
      .returning(['id', 'method'])
      .execute()
    if (expired.length > 0) {
      await trx.insertInto('attemptEvents').values(expired.map((e) => ({ attemptId: e.id, kind: 'expired', detail: JSON.stringify({ from: 'created', reason: 'abandoned before payment' }) }))).execute()
      for (const method of ['voucher', 'card'] as const) {
        const count = expired.filter((e) => e.method === method).length
        if (count > 0) announce(trx, (o) => o.moved(method, 'expired', count))
      }
    }
    return expired.length
  })
}

/**
 * Lifted attempts whose line sent accounting after the lift (a newer record of a session, or a
 * new session), lifted at or after `liftedSince`: confirmed, each with its event, in one statement.
 * Set-based on purpose: a line's next record comes seconds (a re-attach after a Disconnect) to
 * many minutes (the next Interim) after a lift, and one sweep over the few attempts waiting costs
 * far less than a job per attempt asking again and again. Instances sweeping at once are safe: the
 * row lock lets one of them move an attempt, the other finds it no longer lifted and skips it.
 */
export async function confirmLiftedAttempts(db: Kysely<Database>, liftedSince: Date): Promise<number> {
  // updated_at of a lifted attempt is its move to lifted: the open-attempts index answers the range.
  const rows = await sql<{ method: RechargeAttempt['method']; n: number }>`
    with confirmed as (
      update recharge_attempts a set state = 'confirmed', confirmed_at = now(), updated_at = now()
      where a.state = 'lifted' and a.updated_at >= ${liftedSince} and a.lifted_at is not null
        and exists (
          select 1 from radius_sessions s
          where s.msisdn = a.msisdn and (s.last_seen_at >= a.lifted_at or s.started_at >= a.lifted_at))
      returning a.id, a.method
    ),
    events as (
      insert into attempt_events (attempt_id, kind, detail)
      select id, 'confirmed', ${JSON.stringify({ from: 'lifted', by: 'accounting' })}::jsonb from confirmed
    )
    select method, count(*)::int as n from confirmed group by method`.execute(db)
  for (const { method, n } of rows.rows) announce(db, (o) => o.moved(method, 'confirmed', n))
  return rows.rows.reduce((sum, r) => sum + r.n, 0)
}

/** An attempt by id. */
export async function findAttempt(db: Db, id: string): Promise<RechargeAttempt | undefined> {
  return db.selectFrom('rechargeAttempts').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Whether the attempt's timeline has an event of `kind` whose detail contains `detail` (jsonb @>). */
export async function hasEvent(db: Db, attemptId: string, kind: string, detail: Record<string, unknown>): Promise<boolean> {
  const row = await db
    .selectFrom('attemptEvents')
    .select('id')
    .where('attemptId', '=', attemptId)
    .where('kind', '=', kind)
    .where(sql<boolean>`detail @> ${JSON.stringify(detail)}::jsonb`)
    .executeTakeFirst()
  return row !== undefined
}

/** An attempt's timeline, oldest first. */
export async function attemptEvents(db: Db, id: string): Promise<{ at: Date; kind: string; detail: unknown }[]> {
  return db.selectFrom('attemptEvents').select(['at', 'kind', 'detail']).where('attemptId', '=', id).orderBy('id').execute()
}

/** The attempt paying through provider order `orderId`. */
export async function findAttemptByOrder(db: Db, orderId: string): Promise<RechargeAttempt | undefined> {
  return db.selectFrom('rechargeAttempts').selectAll().where('providerOrderId', '=', orderId).executeTakeFirst()
}
