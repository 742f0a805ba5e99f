// Crediting a paid attempt into the built-in ledger, in the caller's transaction: the line is
// credited once (idempotency key = attempt id), the attempt moves to credited, and when the line
// was restored in billing the lift job is enqueued — all or nothing.
import type { Transaction } from 'kysely'
import { type CreditResult, creditLine } from '../adapters/billing/built-in-billing.ts'
import { moveAttempt } from './attempts.ts'
import { enqueueJob } from './jobs.ts'
import type { Database, RechargeAttempt } from './schema.ts'

/** Credit `attempt` (state paid, amount set); returns what the credit did, or why it could not. */
export async function creditPaidAttempt(
  trx: Transaction<Database>,
  attempt: Pick<RechargeAttempt, 'id' | 'msisdn' | 'amountMinor' | 'currency'>,
  reference: string,
): Promise<CreditResult | 'unknown-line' | 'currency-mismatch'> {
  if (attempt.amountMinor === null || attempt.currency === null) throw new Error(`attempt ${attempt.id} has no amount`)
  const credit = await creditLine(trx, {
    msisdn: attempt.msisdn,
    amountMinor: attempt.amountMinor,
    currency: attempt.currency,
    idempotencyKey: `attempt:${attempt.id}`,
    reference,
  })
  if (typeof credit === 'string') return credit
  await moveAttempt(trx, { id: attempt.id, state: 'paid' }, 'credited', { ...credit }, { creditedAt: new Date() })
  if (credit.restored) await enqueueJob(trx, { kind: 'lift', payload: { attemptId: attempt.id }, dedupeKey: `lift:${attempt.id}` })
  return credit
}
