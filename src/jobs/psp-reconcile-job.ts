// "psp-reconcile": a card attempt still paying a minute after its order was created (a lost
// webhook, a subscriber who closed the page) is settled from a status re-query; still pending
// → try again later; past the order's lifetime → expired.
import type { Kysely } from 'kysely'
import { type HostedPsp } from '../adapters/payment/hosted-psp.ts'
import { ORDER_LIFETIME_MS, settleCardPayment } from '../adapters/payment/card-payment.ts'
import { findAttempt, lockAttempt, moveAttempt } from '../db/attempts.ts'
import type { Database } from '../db/schema.ts'
import { enqueueJob } from '../db/jobs.ts'
import type { CreditMode } from '../db/credit-attempt.ts'
import { withTransaction } from '../db/transaction.ts'
import type { JobHandler } from './worker.ts'

/** Create the reconcile job handler. */
export function createPspReconcileJob(deps: { db: Kysely<Database>; psp: HostedPsp; creditMode: CreditMode; onCredited?: () => void }): JobHandler {
  return async (job) => {
    const { attemptId } = job.payload as { attemptId: string }
    const attempt = await findAttempt(deps.db, attemptId)
    if (attempt === undefined || (attempt.state !== 'paying' && attempt.state !== 'created')) return
    const outcome = await settleCardPayment(deps.db, deps.psp, attemptId, 'reconcile', deps.creditMode)
    if (outcome === 'credited' || outcome === 'paid') deps.onCredited?.()
    if (outcome !== 'pending') return
    const closesAt = attempt.createdAt.getTime() + ORDER_LIFETIME_MS
    if (Date.now() < closesAt) {
      if (job.tries < job.maxTries) throw new Error('payment still pending')
      // Out of retries before the order closes: one last look just after it does.
      await enqueueJob(deps.db, { kind: 'psp-reconcile', payload: { attemptId }, dedupeKey: `psp-reconcile:${attemptId}:final`, runAt: new Date(closesAt + 30_000), maxTries: 3 })
      return
    }
    await withTransaction(deps.db, async (trx) => {
      const locked = await lockAttempt(trx, attemptId)
      if (locked && (locked.state === 'paying' || locked.state === 'created')) await moveAttempt(trx, locked, 'expired', { reason: 'payment not completed in time' })
    })
  }
}
