// kysely refuses a nested .transaction(); this helper reuses the transaction it is handed so
// query functions can be composed inside a caller's transaction or run on their own. A query
// function that must only announce what it did once it is durable (a metric, say) defers that
// with afterCommit: it runs when the outermost transaction commits, and never on a rollback.
import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.ts'

/** Transactions this helper opened, with the database they belong to and what waits for their commit. */
const open = new WeakMap<Transaction<Database>, { root: Kysely<Database>; committed: (() => void)[] }>()

/** Run `work` in a transaction, reusing `db` when it already is one. */
export async function withTransaction<T>(
  db: Kysely<Database> | Transaction<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return work(db as Transaction<Database>)
  const state = { root: db, committed: [] as (() => void)[] }
  const result = await db.transaction().execute((trx) => {
    open.set(trx, state)
    return work(trx)
  })
  for (const announce of state.committed) {
    try {
      announce()
    } catch {
      // What is committed stays committed: an announcement (a metric) never fails the work.
    }
  }
  return result
}

/** Run `announce` once `db`'s work is committed: at once outside a transaction. */
export function afterCommit(db: Kysely<Database> | Transaction<Database>, announce: () => void): void {
  const state = db.isTransaction ? open.get(db as Transaction<Database>) : undefined
  if (state) state.committed.push(announce)
  else announce()
}

/** The database `db` works on: itself, or the one a transaction of withTransaction runs in. */
export function rootDatabase(db: Kysely<Database> | Transaction<Database>): Kysely<Database> {
  return db.isTransaction ? (open.get(db as Transaction<Database>)?.root ?? db) : db
}
