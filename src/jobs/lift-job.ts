// The "lift" job: after a credit restored a line in billing, tell the network (network port),
// record every RADIUS exchange on the attempt's timeline, and end in lifted, a retry (NAS busy),
// or failed and flagged for support. The "confirm" job then waits for the line's next
// accounting record, which proves the network let it back in.
import type { Kysely } from 'kysely'
import { addEvent, findAttempt, hasEvent, moveAttempt } from '../db/attempts.ts'
import { enqueueJob } from '../db/jobs.ts'
import type { Database } from '../db/schema.ts'
import { accountingSeenSince, findActiveSessionByMsisdn } from '../db/sessions.ts'
import { withTransaction } from '../db/transaction.ts'
import type { NetworkPort } from '../recharge/ports.ts'
import type { JobHandler } from './worker.ts'

const LIFTABLE = ['credited', 'lifting', 'failed', 'lifted', 'confirmed'] as const

/** Create the lift job handler. */
export function createLiftJob(deps: { db: Kysely<Database>; network: NetworkPort; onLifted?: () => void }): JobHandler {
  const { db, network } = deps
  return async (job) => {
    const { attemptId } = job.payload as { attemptId: string }
    let attempt = await findAttempt(db, attemptId)
    if (attempt === undefined || !(LIFTABLE as readonly string[]).includes(attempt.state)) return
    // Jobs run at least once: a job that lifted but could not be recorded done (its connection was
    // lost) runs again. Lifting again would send the NAS a second CoA, or a second Disconnect to a
    // subscriber who has just reconnected. Another lift job (a support retry) has its own id and lifts.
    if ((attempt.state === 'lifted' || attempt.state === 'confirmed') && (await hasEvent(db, attemptId, 'lifted', { job: job.id }))) return
    if (attempt.state !== 'lifting') {
      await moveAttempt(db, attempt, 'lifting', { try: job.tries })
      attempt = { ...attempt, state: 'lifting' }
    }
    const session = await findActiveSessionByMsisdn(db, attempt.msisdn)
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
    for (const exchange of exchanges) await addEvent(db, attemptId, 'radius', exchange as Record<string, unknown>)
    if (outcome.kind === 'restored') {
      const liftedAt = new Date()
      const lifting = attempt
      // Together: a re-run of this job stops at "lifted", so the confirm job must not be lost after it.
      await withTransaction(db, async (trx) => {
        await moveAttempt(trx, lifting, 'lifted', { how: outcome.how, job: job.id }, { liftedAt })
        await enqueueJob(trx, { kind: 'confirm', payload: { attemptId, since: liftedAt.toISOString() }, dedupeKey: `confirm:${attemptId}:${liftedAt.getTime()}`, maxTries: 30 })
      })
      deps.onLifted?.()
      return
    }
    if (outcome.kind === 'retry-later' && job.tries < job.maxTries) throw new Error(outcome.reason)
    await moveAttempt(db, attempt, 'failed', { reason: outcome.reason }, { needsSupport: true, supportReason: `lift failed: ${outcome.reason}` })
  }
}

/** Create the confirm job handler: done once accounting for the line arrived after the lift. */
export function createConfirmJob(deps: { db: Kysely<Database> }): JobHandler {
  return async (job) => {
    const { attemptId, since } = job.payload as { attemptId: string; since: string }
    const attempt = await findAttempt(deps.db, attemptId)
    if (attempt === undefined || attempt.state !== 'lifted') return
    if (!(await accountingSeenSince(deps.db, attempt.msisdn, new Date(since)))) throw new Error('no accounting since the lift yet')
    await moveAttempt(deps.db, attempt, 'confirmed', { by: 'accounting' }, { confirmedAt: new Date() })
  }
}
