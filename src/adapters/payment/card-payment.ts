// Card/wallet payments through the hosted provider. An attempt is settled only from the
// provider's own answer to a status re-query — whatever triggered it (webhook, return URL,
// reconcile job) — and settling is idempotent: duplicates, replays and out-of-order webhooks all
// end in at most one credit, enforced by the attempt's row lock and the ledger's unique key.
import type { Kysely } from 'kysely'
import { addEvent, lockAttempt, moveAttempt } from '../../db/attempts.ts'
import { type CreditMode, creditPaidAttempt } from '../../db/credit-attempt.ts'
import { enqueueJob } from '../../db/jobs.ts'
import type { Database, RechargeAttempt } from '../../db/schema.ts'
import { withTransaction } from '../../db/transaction.ts'
import type { HostedPsp, PspOrder } from './hosted-psp.ts'

/** How long an unpaid order stays open before the attempt expires. */
export const ORDER_LIFETIME_MS = 30 * 60 * 1000

/** Create the provider order for a new card attempt and move it to paying; returns the page to send the subscriber to. */
export async function startCardPayment(
  db: Kysely<Database>,
  psp: HostedPsp,
  attempt: RechargeAttempt,
  urls: { returnUrl: string; notifyUrl: string },
): Promise<{ payUrl: string } | { failed: string }> {
  let order: { orderId: string; payUrl: string }
  try {
    order = await psp.createOrder({ amount: attempt.amountMinor!, currency: attempt.currency!, reference: attempt.id, ...urls })
  } catch (err) {
    const reason = `cannot create the payment order: ${(err as Error).message}`
    await withTransaction(db, async (trx) => moveAttempt(trx, attempt, 'failed', { reason }))
    return { failed: reason }
  }
  await withTransaction(db, async (trx) => {
    await trx.updateTable('rechargeAttempts').set({ providerOrderId: order.orderId }).where('id', '=', attempt.id).execute()
    await moveAttempt(trx, attempt, 'paying', { provider: psp.host, orderId: order.orderId })
    // If no webhook ever comes, this finds out what happened.
    await enqueueJob(trx, { kind: 'psp-reconcile', payload: { attemptId: attempt.id }, dedupeKey: `psp-reconcile:${attempt.id}`, runAt: new Date(Date.now() + 60_000), maxTries: 12 })
  })
  return { payUrl: order.payUrl }
}

/** What settling did. */
export type SettleOutcome = 'credited' | 'paid' | 'already-settled' | 'pending' | 'declined' | 'mismatch' | 'not-creditable' | 'paid-after-close'

/** Re-query the order of `attemptId` and apply the provider's answer once. */
export async function settleCardPayment(db: Kysely<Database>, psp: HostedPsp, attemptId: string, trigger: string, creditMode: CreditMode = 'built-in'): Promise<SettleOutcome> {
  const current = await db.selectFrom('rechargeAttempts').selectAll().where('id', '=', attemptId).executeTakeFirst()
  if (current === undefined || current.providerOrderId === null) throw new Error(`attempt ${attemptId} has no payment order`)
  const closed = current.state === 'expired' || current.state === 'declined'
  if (current.state !== 'paying' && current.state !== 'created' && !closed) return 'already-settled'
  const order = await psp.getOrder(current.providerOrderId)
  return withTransaction(db, async (trx): Promise<SettleOutcome> => {
    const attempt = await lockAttempt(trx, attemptId)
    if (attempt !== undefined && (attempt.state === 'expired' || attempt.state === 'declined')) {
      // The subscriber paid an order we had given up on: the money is taken and nothing was
      // credited. Never drop that silently: a person refunds or credits it.
      if (order.status === 'paid' && !attempt.needsSupport) {
        await trx.updateTable('rechargeAttempts').set({ needsSupport: true, supportReason: `paid after the attempt was ${attempt.state}: refund or credit by hand`, updatedAt: new Date() }).where('id', '=', attempt.id).execute()
        await addEvent(trx, attempt.id, 'paid-after-close', { trigger, orderId: order.orderId, amount: order.amount, currency: order.currency, state: attempt.state })
        return 'paid-after-close'
      }
      return 'already-settled'
    }
    if (attempt === undefined || (attempt.state !== 'paying' && attempt.state !== 'created')) return 'already-settled'
    const detail = { trigger, orderId: order.orderId, status: order.status, amount: order.amount, currency: order.currency }
    if (!matches(order, attempt) || order.merchantId !== psp.merchantId) {
      await moveAttempt(trx, attempt, 'failed', { ...detail, reason: 'order does not match the attempt' }, { needsSupport: true, supportReason: 'payment order mismatch' })
      return 'mismatch'
    }
    if (order.status === 'pending' || order.status === 'unknown') {
      await addEvent(trx, attempt.id, 'payment-pending', detail)
      return 'pending'
    }
    if (order.status === 'declined') {
      await moveAttempt(trx, attempt, 'declined', { ...detail, reason: 'declined by the payment provider' })
      return 'declined'
    }
    await moveAttempt(trx, attempt, 'paid', detail, { paidAt: new Date() })
    const credit = await creditPaidAttempt(trx, attempt, `card order ${order.orderId}`, creditMode)
    if (credit === 'deferred') return 'paid'
    if (typeof credit === 'string') {
      // Paid but not creditable here: money must go back, a person decides.
      await moveAttempt(trx, { id: attempt.id, state: 'paid' }, 'failed', { reason: credit }, { needsSupport: true, supportReason: `paid but not credited: ${credit}` })
      return 'not-creditable'
    }
    return 'credited'
  })
}

function matches(order: PspOrder, attempt: RechargeAttempt): boolean {
  return order.reference === attempt.id && order.amount === attempt.amountMinor && order.currency === attempt.currency && order.orderId === attempt.providerOrderId
}
