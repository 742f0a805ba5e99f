// Queries for operator settings held in the database and the revision every instance polls.
import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.ts'
import { withTransaction } from './transaction.ts'

/** The settings revision: bumped (by trigger) by every change to settings or NAS clients. */
export async function readSettingsRevision(db: Kysely<Database> | Transaction<Database>): Promise<number> {
  const row = await db.selectFrom('settingsRevision').select('revision').executeTakeFirstOrThrow()
  return row.revision
}

/** Every stored setting, and the revision they belong to (read in one snapshot). */
export async function readStoredSettings(db: Kysely<Database> | Transaction<Database>): Promise<{ revision: number; values: Record<string, unknown> }> {
  return withTransaction(db, async (trx) => {
    const revision = await readSettingsRevision(trx)
    const rows = await trx.selectFrom('settings').select(['key', 'value']).execute()
    return { revision, values: Object.fromEntries(rows.map((r) => [r.key, r.value])) }
  })
}

/** Store `changes` (a key set to null goes back to its environment default). */
export async function writeSettings(trx: Transaction<Database>, changes: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined) {
      await trx.deleteFrom('settings').where('key', '=', key).execute()
      continue
    }
    const json = JSON.stringify(value)
    await trx
      .insertInto('settings')
      .values({ key, value: json })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, updatedAt: new Date() }))
      .execute()
  }
}
