// The "credit" job (OCS billing): credit a paid attempt at the OCS with the attempt's
// idempotency key. A timeout is an unknown outcome: every retry first asks the OCS whether a
// credit with that key exists, and only credits when it does not — never twice. A definite
// refusal fails the attempt and flags it for support (the money was taken and must go back).
import type { Kysely } from 'kysely'
import type { HttpOcs } from '../adapters/billing/http-ocs.ts'
import { addEvent, findAttempt, lockAttempt, moveAttempt } from '../db/attempts.ts'
import { enqueueJob } from '../db/jobs.ts'
import type { Database } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'
import type { JobHandler } from './worker.ts'

/** Create the credit job handler. */
export function createCreditJob(deps: { db: Kysely<Database>; ocs: HttpOcs; onCredited?: () => void }): JobHandler {
  const { db, ocs } = deps
  return async (job) => {
    const { attemptId, reference } = job.payload as { attemptId: string; reference: string }
    const attempt = await findAttempt(db, attemptId)
    if (attempt === undefined || attempt.state !== 'paid' || attempt.amountMinor === null || attempt.currency === null) return
    const idempotencyKey = `attempt:${attempt.id}`
    // After a try whose answer never came, the OCS may have applied it: ask first.
    let result = job.tries > 1 ? await ocs.lookupCredit(idempotencyKey) : null
    if (result !== null) await addEvent(db, attemptId, 'ocs-lookup', { found: true, creditId: result.creditId })
    if (result === null) {
      const credit = await ocs.credit({ msisdn: attempt.msisdn, amountMinor: attempt.amountMinor, currency: attempt.currency, idempotencyKey, reference })
      if (credit.kind === 'unknown') {
        await addEvent(db, attemptId, 'ocs-credit-unknown', { reason: credit.reason, try: job.tries })
        throw new Error(credit.reason)
      }
      if (credit.kind === 'rejected') {
        await withTransaction(db, async (trx) => {
          const locked = await lockAttempt(trx, attemptId)
          if (locked?.state === 'paid') {
            await moveAttempt(trx, locked, 'failed', { reason: `OCS refused the credit (${credit.status}): ${credit.reason}` }, { needsSupport: true, supportReason: 'paid but the OCS refused the credit' })
          }
        })
        return
      }
      result = credit
    }
    const applied = result
    const lift = await withTransaction(db, async (trx) => {
      const locked = await lockAttempt(trx, attemptId)
      if (locked?.state !== 'paid') return false
      await moveAttempt(trx, locked, 'credited', { ocsCreditId: applied.creditId, balanceAfterMinor: applied.balanceMinor, status: applied.status }, { creditedAt: new Date() })
      // The OCS decides whether the line is restored; the network still has to be told.
      if (applied.status === 'active') await enqueueJob(trx, { kind: 'lift', payload: { attemptId }, dedupeKey: `lift:${attemptId}` })
      return applied.status === 'active'
    })
    if (lift) deps.onCredited?.()
  }
}
