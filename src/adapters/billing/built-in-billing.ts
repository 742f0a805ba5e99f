// The built-in billing ledger (PostgreSQL): for carriers without an OCS to call, and for the demo.
import type { Kysely } from 'kysely'
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
