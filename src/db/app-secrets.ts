// The master secret behind every HMAC key (redirect tokens, form tokens, voucher PIN hashes).
// It lives in the database so that every instance shares it; APP_SECRET overrides it.
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'

const MASTER = 'master'

/** The configured secret, or the one stored in the database (created on first use). */
export async function loadMasterSecret(db: Kysely<Database>, configured: string | null): Promise<string> {
  if (configured !== null) return configured
  await db
    .insertInto('appSecrets')
    .values({ name: MASTER, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute()
  const row = await db.selectFrom('appSecrets').select('value').where('name', '=', MASTER).executeTakeFirstOrThrow()
  return row.value
}
