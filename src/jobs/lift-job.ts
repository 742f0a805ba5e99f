// The "lift" job: after a credit restored a line in billing, tell the network (network port),
// record every RADIUS exchange on the attempt's timeline, and end in lifted, a retry (NAS busy),
// or failed and flagged for support. The confirm sweep (confirm-sweep.ts) then waits for the
// line's next accounting record, which proves the network let it back in.
import type { Kysely } from 'kysely'
import { findAttemptWithSession } from '../db/attempt-lookups.ts'
import { addEvents, hasEvent, moveAttempt, moveAttemptThrough } from '../db/attempts.ts'
import type { Database } from '../db/schema.ts'
import type { NetworkPort } from '../recharge/ports.ts'
import type { JobHandler } from './worker.ts'

const LIFTABLE = ['credited', 'lifting', 'failed', 'lifted', 'confirmed'] as const

/** Create the lift job handler. */
export function createLiftJob(deps: { db: Kysely<Database>; network: NetworkPort; onLifted?: () => void }): JobHandler {
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
    // The exchanges and what they led to commit together (one statement, not one per row), with
    // the job marked done, unless it is to be retried.
    const radius = exchanges.map((exchange) => ({ kind: 'radius', detail: exchange as Record<string, unknown> }))
    if (outcome.kind === 'restored') {
      // Confirmed later by the sweep (jobs/confirm-sweep.ts) once the line's accounting shows it back.
      await moveAttemptThrough(db, lifting, [{ to: 'lifted', detail: { how: outcome.how, job: job.id }, extra: { liftedAt: new Date() } }], radius, { complete: job.lease })
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
