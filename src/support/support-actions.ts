// Support's actions on an attempt or a line, each with a reason and an audit entry committed with
// the change: retry the lift (queue a new lift job), mark the attempt refunded (bookkeeping: the
// money goes back through the payment provider or billing, outside the gateway), and force a
// Disconnect of the line's active session through the network adapter.
import { sql, type Kysely } from 'kysely'
import { type AuditEntry, recordAudit } from '../audit/audit-log.ts'
import { addEvent, lockAttempt, moveAttempt } from '../db/attempts.ts'
import { enqueueJob } from '../db/jobs.ts'
import type { Database } from '../db/schema.ts'
import { findActiveSessionByMsisdn } from '../db/sessions.ts'
import { withTransaction } from '../db/transaction.ts'
import { appError, ERRORS } from '../errors.ts'
import { canMove } from '../recharge/attempt-states.ts'
import type { DisconnectOutcome, NetworkPort } from '../recharge/ports.ts'

/** Who acts, from where (the audit fields of the request). */
export type ActionContext = Pick<AuditEntry, 'actor' | 'sourceAddress' | 'requestId'>

/** States from which a lift may be tried again (the money is in: credited at some point). */
const RETRYABLE = ['credited', 'lifting', 'lifted', 'confirmed', 'failed'] as const

const refused = (message: string) => appError(ERRORS.SUPPORT_ACTION_REFUSED, message)

function requireReason(reason: string): void {
  if (reason.trim().length < 5) throw appError(ERRORS.STAFF_REASON_REQUIRED)
}

/** Queue a new lift for a credited attempt. */
export async function retryLift(db: Kysely<Database>, ctx: ActionContext, attemptId: string, reason: string): Promise<void> {
  requireReason(reason)
  await withTransaction(db, async (trx) => {
    const attempt = await lockAttempt(trx, attemptId)
    if (attempt === undefined) throw appError(ERRORS.NOT_FOUND, 'No such attempt')
    if (attempt.creditedAt === null || !(RETRYABLE as readonly string[]).includes(attempt.state)) {
      throw refused(`A lift can be retried only once the line was credited (the attempt is ${attempt.state}${attempt.creditedAt === null ? ', never credited' : ''})`)
    }
    const pending = await sql<{ n: number }>`select count(*)::int as n from jobs where kind = 'lift' and done_at is null and payload->>'attemptId' = ${attemptId}`.execute(trx)
    if ((pending.rows[0]?.n ?? 0) > 0) throw refused('A lift for this attempt is already queued or running')
    await enqueueJob(trx, { kind: 'lift', payload: { attemptId }, dedupeKey: `lift:${attemptId}:retry:${Date.now()}` })
    await addEvent(trx, attemptId, 'support-retry-lift', { by: ctx.actor.name, reason })
    await recordAudit(trx, { ...ctx, action: 'attempt.retry-lift', target: `attempt:${attempt.reference}`, before: { state: attempt.state }, after: { liftQueued: true }, reason })
  })
}

/** Mark an attempt refunded. */
export async function markRefunded(db: Kysely<Database>, ctx: ActionContext, attemptId: string, reason: string): Promise<void> {
  requireReason(reason)
  await withTransaction(db, async (trx) => {
    const attempt = await lockAttempt(trx, attemptId)
    if (attempt === undefined) throw appError(ERRORS.NOT_FOUND, 'No such attempt')
    if (!canMove(attempt.state, 'refunded')) throw refused(`An attempt that is ${attempt.state} cannot be marked refunded (only paid ones can)`)
    await moveAttempt(trx, attempt, 'refunded', { by: ctx.actor.name, reason })
    await recordAudit(trx, { ...ctx, action: 'attempt.mark-refunded', target: `attempt:${attempt.reference}`, before: { state: attempt.state }, after: { state: 'refunded' }, reason })
  })
}

/** What a forced Disconnect did. */
export interface DisconnectResult {
  outcome: DisconnectOutcome
  nas: number
  acctSessionId: string
}

/** Send a Disconnect-Request for the line's active session; recorded on `attemptId`'s timeline when given. */
export async function forceDisconnect(
  db: Kysely<Database>,
  network: NetworkPort | null,
  ctx: ActionContext,
  line: { msisdn: string; attemptId?: string; target: string },
  reason: string,
): Promise<DisconnectResult> {
  requireReason(reason)
  if (network === null) throw appError(ERRORS.SUPPORT_NETWORK_UNAVAILABLE)
  const session = await findActiveSessionByMsisdn(db, line.msisdn)
  if (session === undefined) throw refused('The line has no active session to disconnect')
  const { outcome, exchanges } = await network.disconnect({ msisdn: line.msisdn, nasId: session.nasId, acctSessionId: session.acctSessionId, framedIp: session.framedIp === null ? null : String(session.framedIp) })
  await withTransaction(db, async (trx) => {
    if (line.attemptId !== undefined) {
      for (const exchange of exchanges) await addEvent(trx, line.attemptId, 'radius', exchange as Record<string, unknown>)
      await addEvent(trx, line.attemptId, 'support-disconnect', { by: ctx.actor.name, reason, outcome })
    }
    await recordAudit(trx, { ...ctx, action: 'line.force-disconnect', target: line.target, before: { nasId: session.nasId, acctSessionId: session.acctSessionId }, after: { outcome }, reason })
  })
  return { outcome, nas: session.nasId, acctSessionId: session.acctSessionId }
}
