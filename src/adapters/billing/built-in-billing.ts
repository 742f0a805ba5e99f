// The built-in billing ledger (PostgreSQL): for carriers without an OCS to call, and for the demo.
import type { Kysely, Transaction } from 'kysely'
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
 */
export async function creditLine(
  trx: Transaction<Database>,
  credit: { msisdn: string; amountMinor: number; currency: string; idempotencyKey: string; reference: string },
): Promise<CreditResult | 'unknown-line' | 'currency-mismatch'> {
  const line = await trx.selectFrom('lines').selectAll().where('msisdn', '=', credit.msisdn).forUpdate().executeTakeFirst()
  if (line === undefined) return 'unknown-line'
  if (line.currency !== credit.currency) return 'currency-mismatch'
  const inserted = await trx
    .insertInto('ledgerEntries')
    .values({ msisdn: credit.msisdn, amountMinor: credit.amountMinor, currency: credit.currency, kind: 'credit', idempotencyKey: credit.idempotencyKey, reference: credit.reference })
    .onConflict((oc) => oc.column('idempotencyKey').doNothing())
    .returning('id')
    .executeTakeFirst()
  const short = (balance: number) => (line.status === 'suspended' && line.suspensionReason === 'arrears' ? Math.max(0, line.restoreThresholdMinor - balance) : 0)
  if (inserted === undefined) {
    return { applied: false, balanceBeforeMinor: line.balanceMinor, balanceAfterMinor: line.balanceMinor, restored: false, shortMinor: short(line.balanceMinor) }
  }
  const after = line.balanceMinor + credit.amountMinor
  const restored = line.status === 'suspended' && line.suspensionReason === 'arrears' && after >= line.restoreThresholdMinor
  await trx
    .updateTable('lines')
    .set({ balanceMinor: after, updatedAt: new Date(), ...(restored ? { status: 'active' as const, suspensionReason: null } : {}) })
    .where('msisdn', '=', credit.msisdn)
    .execute()
  return { applied: true, balanceBeforeMinor: line.balanceMinor, balanceAfterMinor: after, restored, shortMinor: restored ? 0 : short(after) }
}
