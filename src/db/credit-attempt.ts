// Crediting a paid attempt. Built-in ledger: in the caller's transaction — the line is credited
// once (idempotency key = attempt id), the attempt moves to credited, and when the line was
// restored in billing the lift job is enqueued, all or nothing. OCS: the credit is an HTTP call
// that cannot join the transaction, so a durable "credit" job is enqueued with the attempt's
// paid state instead (jobs/credit-job.ts).
import type { Transaction } from 'kysely'
import { type CreditResult, creditLine } from '../adapters/billing/built-in-billing.ts'
import { type AttemptStep, moveAttempt, moveAttemptThrough } from './attempts.ts'
import { enqueueJob } from './jobs.ts'
import type { Database, RechargeAttempt } from './schema.ts'

/** Where credits go. */
export type CreditMode = 'built-in' | 'ocs'

/**
 * Credit `attempt` (state paid, amount set); returns what the credit did, why it could not, or
 * 'deferred' (OCS). With `paying`, the attempt is still in state `from` and is moved to paid here,
 * in the same statement as to credited when the credit applies (one round trip instead of two).
 */
export async function creditPaidAttempt(
  trx: Transaction<Database>,
  attempt: Pick<RechargeAttempt, 'id' | 'msisdn' | 'amountMinor' | 'currency'>,
  reference: string,
  mode: CreditMode = 'built-in',
  paying?: { from: RechargeAttempt['state']; step: AttemptStep & { to: 'paid' } },
): Promise<CreditResult | 'unknown-line' | 'currency-mismatch' | 'deferred'> {
  if (attempt.amountMinor === null || attempt.currency === null) throw new Error(`attempt ${attempt.id} has no amount`)
  const pay = async () => {
    if (paying !== undefined) await moveAttempt(trx, { id: attempt.id, state: paying.from }, 'paid', paying.step.detail, paying.step.extra)
  }
  if (mode === 'ocs') {
    await pay()
    await enqueueJob(trx, { kind: 'credit', payload: { attemptId: attempt.id, reference }, dedupeKey: `credit:${attempt.id}`, maxTries: 20 })
    return 'deferred'
  }
  const credit = await creditLine(trx, {
    msisdn: attempt.msisdn,
    amountMinor: attempt.amountMinor,
    currency: attempt.currency,
    idempotencyKey: `attempt:${attempt.id}`,
    reference,
  })
  if (typeof credit === 'string') {
    await pay()
    return credit
  }
  const credited: AttemptStep = { to: 'credited', detail: { ...credit }, extra: { creditedAt: new Date() } }
  // The lift job goes in with the move (same statement) when the line was restored in billing.
  const jobs = credit.restored ? { enqueue: [{ kind: 'lift', payload: { attemptId: attempt.id }, dedupeKey: `lift:${attempt.id}` }] } : {}
  if (paying === undefined) await moveAttemptThrough(trx, { id: attempt.id, state: 'paid' }, [credited], [], jobs)
  else await moveAttemptThrough(trx, { id: attempt.id, state: paying.from }, [paying.step, credited], [], jobs)
  return credit
}
