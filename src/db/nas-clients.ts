// NAS client queries.
import type { Kysely } from 'kysely'
import type { Database, NasClient } from './schema.ts'

/** Every configured NAS client. */
export async function listNasClients(db: Kysely<Database>): Promise<NasClient[]> {
  return db.selectFrom('nasClients').selectAll().orderBy('id').execute()
}
