// The built-in billing ledger (PostgreSQL): for carriers without an OCS to call, and for the demo.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { Account, BillingPort } from '../../recharge/ports.ts'

/** Create the built-in billing adapter over `db`. */
export function createBuiltInBilling(db: Kysely<Database>): BillingPort {
  return {
    async getAccount(msisdn): Promise<Account | null> {
      const line = await db
        .selectFrom('lines')
        .select(['msisdn', 'balanceMinor', 'currency', 'status', 'suspensionReason', 'restoreThresholdMinor'])
        .where('msisdn', '=', msisdn)
        .executeTakeFirst()
      return line ?? null
    },
  }
}

// Whether the credit restores the line: suspended for arrears, and the balance after it reaches the
// restore threshold (the line CTE's values, locked).
const restores = (amountMinor: number) =>
  sql`line.status = 'suspended' and line.suspension_reason = 'arrears' and line.balance_minor + ${amountMinor}::bigint >= line.restore_threshold_minor`

/** What a credit did to the line. */
export interface CreditResult {
  /** False when this idempotency key was already credited (nothing changed now). */
  applied: boolean
  balanceBeforeMinor: number
  balanceAfterMinor: number
  /** The line went from suspended-for-arrears to active with this credit. */
  restored: boolean
  /** Still missing to reach the restore threshold (0 when restored or not in arrears). */
  shortMinor: number
}

/**
 * Credit `amountMinor` to `msisdn` inside the caller's transaction, once per `idempotencyKey`:
 * ledger entry (unique key), balance, and the arrears suspension lifted when the balance reaches
 * the restore threshold — all committed together with the caller's own state change.
 *
 * One statement (one round trip instead of three): the line is locked and read, the entry
 * inserted unless its key is already in the ledger (or the currency differs), and the balance
 * moved only when the entry went in. Under READ COMMITTED the lock returns the line's latest
 * version, and the new balance is computed from that version, as a read-then-update would.
 */
export async function creditLine(
  trx: Transaction<Database>,
  credit: { msisdn: string; amountMinor: number; currency: string; idempotencyKey: string; reference: string },
): Promise<CreditResult | 'unknown-line' | 'currency-mismatch'> {
  const amount = credit.amountMinor
  const row = (
    await sql<{ balanceMinor: number; currency: string; status: string; suspensionReason: string | null; restoreThresholdMinor: number; applied: boolean }>`
      with line as (
        select msisdn, balance_minor, currency, status, suspension_reason, restore_threshold_minor
        from lines where msisdn = ${credit.msisdn} for update
      ),
      entry as (
        insert into ledger_entries (msisdn, amount_minor, currency, kind, idempotency_key, reference)
        select msisdn, ${amount}::bigint, ${credit.currency}::char(3), 'credit', ${credit.idempotencyKey}::text, ${credit.reference}::text
        from line where currency = ${credit.currency}::char(3)
        on conflict (idempotency_key) do nothing
        returning id
      ),
      credited as (
        update lines l
        set balance_minor = line.balance_minor + ${amount}::bigint,
            updated_at = now(),
            status = case when ${restores(amount)} then 'active' else l.status end,
            suspension_reason = case when ${restores(amount)} then null else l.suspension_reason end
        from line, entry
        where l.msisdn = line.msisdn
        returning l.msisdn
      )
      select balance_minor as "balanceMinor", currency, status, suspension_reason as "suspensionReason",
             restore_threshold_minor as "restoreThresholdMinor", exists (select 1 from credited) as applied
      from line`.execute(trx)
  ).rows[0]
  if (row === undefined) return 'unknown-line'
  if (row.currency !== credit.currency) return 'currency-mismatch'
  const arrears = row.status === 'suspended' && row.suspensionReason === 'arrears'
  const short = (balance: number) => (arrears ? Math.max(0, row.restoreThresholdMinor - balance) : 0)
  if (!row.applied) {
    return { applied: false, balanceBeforeMinor: row.balanceMinor, balanceAfterMinor: row.balanceMinor, restored: false, shortMinor: short(row.balanceMinor) }
  }
  const after = row.balanceMinor + amount
  // The same rule as the statement's `restores`, on the same (locked) values.
  const restored = arrears && after >= row.restoreThresholdMinor
  return { applied: true, balanceBeforeMinor: row.balanceMinor, balanceAfterMinor: after, restored, shortMinor: restored ? 0 : short(after) }
}
