// Scratch-card vouchers (serial + PIN) paid into the built-in ledger. One transaction does it
// all — attempt created, voucher checked and consumed, attempt paid, line credited (idempotency key = attempt id),
// attempt credited, lift job enqueued — so a retry, a double submit or a crash can never pay
// twice or lose a payment. Wrong PINs are counted per line and per source address (in the
// database, so the lockout holds across instances) and compared in constant time.
import type { HmacKey } from '../../config/keys.ts'
import type { Kysely, Transaction } from 'kysely'
import { createAttempt, moveAttempt, type NewAttempt } from '../../db/attempts.ts'
import { type CreditMode, creditPaidAttempt } from '../../db/credit-attempt.ts'
import type { Database, RechargeAttempt } from '../../db/schema.ts'
import { withTransaction } from '../../db/transaction.ts'
import { voucherPinMatches } from './voucher-pin.ts'

/** Wrong PINs allowed per subject in the window before further tries are refused. */
export const VOUCHER_LOCKOUT = { maxFailures: 5, windowMs: 15 * 60 * 1000 } as const

/** What redeeming did. */
export type VoucherOutcome =
  | { kind: 'credited'; amountMinor: number; currency: string; restored: boolean; shortMinor: number }
  | { kind: 'paid'; amountMinor: number; currency: string }
  | { kind: 'declined'; reason: 'invalid' | 'used' | 'expired' | 'void' | 'unknown-line' | 'currency-mismatch' }
  | { kind: 'locked-out' }

/** Subjects a wrong PIN counts against. */
export function lockoutSubjects(msisdn: string, address: string): string[] {
  return [`line:${msisdn}`, `address:${address}`]
}

/** Whether any subject has reached the lockout. */
export async function isLockedOut(db: Kysely<Database>, subjects: string[]): Promise<boolean> {
  const since = new Date(Date.now() - VOUCHER_LOCKOUT.windowMs)
  const rows = await db
    .selectFrom('voucherFailures')
    .select(['subject', (eb) => eb.fn.countAll<number>().as('failures')])
    .where('subject', 'in', subjects)
    .where('at', '>=', since)
    .groupBy('subject')
    .execute()
  return rows.some((r) => r.failures >= VOUCHER_LOCKOUT.maxFailures)
}

/**
 * Create the attempt for `serial`/`pin` and redeem the card for it, crediting the attempt's line.
 * The attempt is created inside the redeeming transaction: a payment and its attempt exist
 * together or not at all (a crash or a database error mid-way leaves nothing behind, not an
 * attempt stuck in "created"), and it costs one commit, not two.
 */
export async function redeemVoucher(
  db: Kysely<Database>,
  input: {
    /** The attempt to create, and the detail of its "created" event. */
    attempt: Omit<NewAttempt, 'method' | 'amountMinor' | 'currency'>
    createdDetail: Record<string, unknown>
    serial: string
    pin: string
    pinKey: HmacKey
    subjects: string[]
    creditMode?: CreditMode
    /** The caller has just checked isLockedOut for these subjects (a second look would cost a query and close no race). */
    lockoutChecked?: boolean
  },
): Promise<{ attempt: RechargeAttempt; outcome: VoucherOutcome }> {
  const newAttempt = { ...input.attempt, method: 'voucher' as const, amountMinor: null, currency: null }
  /** The attempt, created and declined at once (its own transaction when the card was never touched). */
  const declined = (detail: Record<string, unknown>) =>
    withTransaction(db, async (trx) => {
      const attempt = await createAttempt(trx, newAttempt, input.createdDetail)
      await moveAttempt(trx, attempt, 'declined', detail)
      return attempt
    })
  if (input.lockoutChecked !== true && (await isLockedOut(db, input.subjects))) {
    return { attempt: await declined({ reason: 'locked-out' }), outcome: { kind: 'locked-out' } }
  }
  try {
    return await withTransaction(db, async (trx) => {
      const attempt = await createAttempt(trx, newAttempt, input.createdDetail)
      const outcome = await redeemFor(trx, attempt, input)
      return { attempt, outcome }
    })
  } catch (err) {
    if (!(err instanceof VoucherNotCreditable)) throw err
    // The transaction rolled back, the card with it: it stays usable.
    return { attempt: await declined({ reason: err.reason }), outcome: { kind: 'declined', reason: err.reason } }
  }
}

/** Redeem the card for `attempt` (just created, state created) inside `trx`. */
async function redeemFor(
  trx: Transaction<Database>,
  attempt: RechargeAttempt,
  input: { serial: string; pin: string; pinKey: HmacKey; subjects: string[]; creditMode?: CreditMode },
): Promise<VoucherOutcome> {
  const voucher = await trx
    .selectFrom('vouchers')
    .innerJoin('voucherBatches', 'voucherBatches.id', 'vouchers.batchId')
    .select(['vouchers.serial', 'vouchers.pinHash', 'vouchers.status', 'voucherBatches.valueMinor', 'voucherBatches.currency', 'voucherBatches.expiresAt'])
    .where('vouchers.serial', '=', input.serial)
    // Only the card's row: locking its batch too would queue every redemption of the batch.
    .forUpdate(['vouchers'])
    .executeTakeFirst()
  // An unknown serial costs the same hash as a known one, so timing tells nothing.
  const matches = voucherPinMatches(input.pinKey, input.serial, input.pin, voucher?.pinHash ?? Buffer.alloc(32))
  if (voucher === undefined || !matches) {
    await trx.insertInto('voucherFailures').values(input.subjects.map((subject) => ({ subject }))).execute()
    await moveAttempt(trx, attempt, 'declined', { reason: 'invalid', serial: input.serial })
    return { kind: 'declined', reason: 'invalid' }
  }
  if (voucher.status !== 'unused' || (voucher.expiresAt !== null && voucher.expiresAt < new Date())) {
    const reason = voucher.status === 'used' ? 'used' : voucher.status === 'void' ? 'void' : 'expired'
    await moveAttempt(trx, attempt, 'declined', { reason, serial: input.serial })
    return { kind: 'declined', reason }
  }
  await trx.updateTable('vouchers').set({ status: 'used', usedAt: new Date(), usedFor: attempt.id }).where('serial', '=', input.serial).execute()
  const amount = { amountMinor: voucher.valueMinor, currency: voucher.currency }
  const paid = { to: 'paid' as const, detail: { method: 'voucher', serial: input.serial, ...amount }, extra: { ...amount, voucherSerial: input.serial, paidAt: new Date() } }
  const credit = await creditPaidAttempt(trx, { id: attempt.id, msisdn: attempt.msisdn, ...amount }, `voucher ${input.serial}`, input.creditMode, { from: attempt.state, step: paid })
  if (credit === 'deferred') return { kind: 'paid', ...amount }
  // Rolls the voucher back too: the card stays usable.
  if (typeof credit === 'string') throw new VoucherNotCreditable(credit)
  return { kind: 'credited', ...amount, restored: credit.restored, shortMinor: credit.shortMinor }
}

class VoucherNotCreditable extends Error {
  readonly reason: 'unknown-line' | 'currency-mismatch'
  constructor(reason: 'unknown-line' | 'currency-mismatch') {
    super(reason)
    this.reason = reason
  }
}

