// The "lift" job: after a credit restored a line in billing, tell the network (network port),
// record every RADIUS exchange on the attempt's timeline, and end in lifted, a retry (NAS busy),
// or failed and flagged for support. The "confirm" job then waits for the line's next
// accounting record, which proves the network let it back in.
import type { Kysely } from 'kysely'
import { findAttemptWithAccountingSince, findAttemptWithSession } from '../db/attempt-lookups.ts'
import { addEvents, hasEvent, moveAttempt, moveAttemptThrough } from '../db/attempts.ts'
import type { Database } from '../db/schema.ts'
import type { NetworkPort } from '../recharge/ports.ts'
import { type JobHandler, RetryLater } from './worker.ts'

const LIFTABLE = ['credited', 'lifting', 'failed', 'lifted', 'confirmed'] as const

/** Create the lift job handler. */
export function createLiftJob(deps: { db: Kysely<Database>; network: NetworkPort; onLifted?: () => void; confirmFirstCheckMs?: number }): JobHandler {
  const { db, network } = deps
  return async (job) => {
    const { attemptId } = job.payload as { attemptId: string }
    // The attempt and its line's active session in one read.
    const found = await findAttemptWithSession(db, attemptId)
    if (found === undefined || !(LIFTABLE as readonly string[]).includes(found.attempt.state)) return
    let attempt = found.attempt
    const session = found.session
    // Jobs run at least once: a job that lifted but could not be recorded done (its connection was
    // lost) runs again. Lifting again would send the NAS a second CoA, or a second Disconnect to a
    // subscriber who has just reconnected. Another lift job (a support retry) has its own id and lifts.
    if ((attempt.state === 'lifted' || attempt.state === 'confirmed') && (await hasEvent(db, attemptId, 'lifted', { job: job.id }))) return
    if (attempt.state !== 'lifting') {
      await moveAttempt(db, attempt, 'lifting', { try: job.tries })
      attempt = { ...attempt, state: 'lifting' }
    }
    if (session === undefined) {
      // Nothing attached to restore: the next attach is authorised by billing as usual.
      await moveAttempt(db, attempt, 'lifted', { how: 'no-active-session', job: job.id }, { liftedAt: new Date() })
      return
    }
    const { outcome, exchanges } = await network.restoreService({
      msisdn: attempt.msisdn,
      nasId: session.nasId,
      acctSessionId: session.acctSessionId,
      framedIp: session.framedIp,
    })
    const lifting = attempt
    // The exchanges and what they led to commit together (one statement, not one per row); a
    // re-run of this job stops at "lifted", so the confirm job must never be lost after it. The job
    // is marked done in it too, unless it is to be retried.
    const radius = exchanges.map((exchange) => ({ kind: 'radius', detail: exchange as Record<string, unknown> }))
    if (outcome.kind === 'restored') {
      const liftedAt = new Date()
      const confirm = {
        kind: 'confirm',
        payload: { attemptId, since: liftedAt.toISOString() },
        dedupeKey: `confirm:${attemptId}:${liftedAt.getTime()}`,
        runAt: new Date(liftedAt.getTime() + (deps.confirmFirstCheckMs ?? CONFIRM_FIRST_CHECK_MS)),
        maxTries: 30,
      }
      await moveAttemptThrough(db, lifting, [{ to: 'lifted', detail: { how: outcome.how, job: job.id }, extra: { liftedAt } }], radius, { enqueue: [confirm], complete: job.lease })
    } else if (outcome.kind === 'retry-later' && job.tries < job.maxTries) {
      await addEvents(db, attemptId, radius)
      throw new Error(outcome.reason)
    } else {
      const reason = outcome.reason
      await moveAttemptThrough(db, lifting, [{ to: 'failed', detail: { reason }, extra: { needsSupport: true, supportReason: `lift failed: ${reason}` } }], radius, { complete: job.lease })
    }
    if (outcome.kind === 'restored') deps.onLifted?.()
  }
}

// A device re-attaches or sends its next interim seconds to minutes after a lift: checking every
// second or two would only load the database. First look after 10 s, then 15 s doubling to 5 min.
const CONFIRM_FIRST_CHECK_MS = 10_000
const CONFIRM_RETRY_BASE_MS = 15_000
const CONFIRM_RETRY_MAX_MS = 300_000

/** Create the confirm job handler: done once accounting for the line arrived after the lift. */
export function createConfirmJob(deps: { db: Kysely<Database>; retryBaseMs?: number }): JobHandler {
  const base = deps.retryBaseMs ?? CONFIRM_RETRY_BASE_MS
  return async (job) => {
    const { attemptId, since } = job.payload as { attemptId: string; since: string }
    const found = await findAttemptWithAccountingSince(deps.db, attemptId, new Date(since))
    if (found === undefined || found.attempt.state !== 'lifted') return
    const { attempt } = found
    if (!found.seen) throw new RetryLater('no accounting since the lift yet', Math.min(base * 2 ** (job.tries - 1), CONFIRM_RETRY_MAX_MS))
    await moveAttempt(deps.db, attempt, 'confirmed', { by: 'accounting' }, { confirmedAt: new Date() })
  }
}
