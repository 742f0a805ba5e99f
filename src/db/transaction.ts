// kysely refuses a nested .transaction(); this helper reuses the transaction it is handed so
// query functions can be composed inside a caller's transaction or run on their own.
import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.ts'

/** Run `work` in a transaction, reusing `db` when it already is one. */
export async function withTransaction<T>(
  db: Kysely<Database> | Transaction<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return work(db as Transaction<Database>)
  return db.transaction().execute(work)
}
