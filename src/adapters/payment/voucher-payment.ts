// Scratch-card vouchers (serial + PIN) paid into the built-in ledger. One transaction does it
// all — voucher checked and consumed, attempt paid, line credited (idempotency key = attempt id),
// attempt credited, lift job enqueued — so a retry, a double submit or a crash can never pay
// twice or lose a payment. Wrong PINs are counted per line and per source address (in the
// database, so the lockout holds across instances) and compared in constant time.
import type { HmacKey } from '../../config/keys.ts'
import type { Kysely } from 'kysely'
import { lockAttempt, moveAttempt } from '../../db/attempts.ts'
import { type CreditMode, creditPaidAttempt } from '../../db/credit-attempt.ts'
import type { Database } from '../../db/schema.ts'
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

/** Redeem `serial`/`pin` for the attempt (state created) and credit the attempt's line. */
export async function redeemVoucher(
  db: Kysely<Database>,
  input: {
    attemptId: string
    serial: string
    pin: string
    pinKey: HmacKey
    subjects: string[]
    creditMode?: CreditMode
    /** The caller has just checked isLockedOut for these subjects (a second look would cost a query and close no race). */
    lockoutChecked?: boolean
  },
): Promise<VoucherOutcome> {
  if (input.lockoutChecked !== true && (await isLockedOut(db, input.subjects))) {
    await withTransaction(db, async (trx) => {
      const attempt = await lockAttempt(trx, input.attemptId)
      if (attempt) await moveAttempt(trx, attempt, 'declined', { reason: 'locked-out' })
    })
    return { kind: 'locked-out' }
  }
  const outcome = await withTransaction(db, async (trx): Promise<VoucherOutcome> => {
    const attempt = await lockAttempt(trx, input.attemptId)
    if (attempt === undefined || attempt.state !== 'created') throw new Error(`attempt ${input.attemptId} is not waiting for payment`)
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
  }).catch(async (err: unknown) => {
    if (!(err instanceof VoucherNotCreditable)) throw err
    await withTransaction(db, async (trx) => {
      const attempt = await lockAttempt(trx, input.attemptId)
      if (attempt) await moveAttempt(trx, attempt, 'declined', { reason: err.reason })
    })
    return { kind: 'declined', reason: err.reason } as VoucherOutcome
  })
  return outcome
}

class VoucherNotCreditable extends Error {
  readonly reason: 'unknown-line' | 'currency-mismatch'
  constructor(reason: 'unknown-line' | 'currency-mismatch') {
    super(reason)
    this.reason = reason
  }
}

