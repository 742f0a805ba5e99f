// NAS client queries. Every write bumps the settings revision (trigger), so every instance
// reloads its NAS directory within a second.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database, NasClient } from './schema.ts'

/** The writable fields of a NAS client; `secret` undefined keeps the stored one. */
export interface NasClientFields {
  name: string
  address: string
  realm: string
  secret: string | undefined
  requireMessageAuthenticator: boolean
  coaHost: string | null
  coaPort: number
  liftProfile: 'coa' | 'disconnect' | 'none'
  coaAttributes: { name: string; value: string | number }[]
}

/** Every configured NAS client. */
export async function listNasClients(db: Kysely<Database>): Promise<NasClient[]> {
  return db.selectFrom('nasClients').selectAll().orderBy('id').execute()
}

/** One NAS client by id. */
export async function findNasClient(db: Kysely<Database>, id: number): Promise<NasClient | undefined> {
  return db.selectFrom('nasClients').selectAll().where('id', '=', id).executeTakeFirst()
}

/** One NAS client by name. */
export async function findNasClientByName(db: Kysely<Database>, name: string): Promise<NasClient | undefined> {
  return db.selectFrom('nasClients').selectAll().where('name', '=', name).executeTakeFirst()
}

/** Another NAS client (than `exceptId`) with this name or exactly this address, if any. */
export async function conflictingNasClient(db: Kysely<Database>, fields: { name: string; address: string }, exceptId: number | null): Promise<NasClient | undefined> {
  let query = db
    .selectFrom('nasClients')
    .selectAll()
    .where((eb) => eb.or([eb('name', '=', fields.name), eb('address', '=', sql<string>`${fields.address}::cidr`)]))
  if (exceptId !== null) query = query.where('id', '<>', exceptId)
  return query.executeTakeFirst()
}

function columns(fields: NasClientFields) {
  const { secret, coaAttributes, ...rest } = fields
  return { ...rest, coaAttributes: JSON.stringify(coaAttributes) }
}

/** Add a NAS client (its secret is required). */
export async function insertNasClient(trx: Transaction<Database>, fields: NasClientFields & { secret: string }): Promise<NasClient> {
  return trx.insertInto('nasClients').values({ ...columns(fields), secret: fields.secret }).returningAll().executeTakeFirstOrThrow()
}

/** Change a NAS client; the secret only when given. */
export async function updateNasClient(trx: Transaction<Database>, id: number, fields: NasClientFields): Promise<NasClient | undefined> {
  const secret = fields.secret === undefined ? {} : { secret: fields.secret, secretChangedAt: new Date() }
  return trx.updateTable('nasClients').set({ ...columns(fields), ...secret, updatedAt: new Date() }).where('id', '=', id).returningAll().executeTakeFirst()
}

/** Remove a NAS client (its sessions go with it). */
export async function deleteNasClient(trx: Transaction<Database>, id: number): Promise<NasClient | undefined> {
  return trx.deleteFrom('nasClients').where('id', '=', id).returningAll().executeTakeFirst()
}
