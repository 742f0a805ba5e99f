// Bearer tokens for automation. A token is 256 random bits shown once at creation; the table keeps
// its SHA-256 (a high-entropy secret needs no slow hash) and a short prefix to recognise it by.
import { createHash, randomBytes } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Role } from '../staff/permissions.ts'
import type { Database } from './schema.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Every token starts with this, so a leaked one is easy to find in code and logs. */
export const TOKEN_PREFIX = 'rgw_'
/** Token names: what the automation is (e.g. "ci-deploy", "noc.grafana"). */
export const TOKEN_NAME = /^[a-z0-9._-]{3,64}$/
/** last_used_at moves at most this often. */
const TOUCH_EVERY_MS = 60 * 1000

/** A token as listed (never the secret). */
export interface ApiTokenInfo {
  id: number
  name: string
  prefix: string
  role: Role
  createdBy: string
  createdAt: Date
  lastUsedAt: Date | null
  revokedAt: Date | null
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/** Create a token; the returned secret is shown once and never stored. */
export async function createApiToken(db: Db, input: { name: string; role: Role; createdBy: string }): Promise<{ token: string; info: ApiTokenInfo }> {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  const info = await db
    .insertInto('apiTokens')
    .values({ name: input.name, role: input.role, createdBy: input.createdBy, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) })
    .returning(['id', 'name', 'prefix', 'role', 'createdBy', 'createdAt', 'lastUsedAt', 'revokedAt'])
    .executeTakeFirstOrThrow()
  return { token, info }
}

/** The live (unrevoked) token `token`, marking it used. */
export async function findApiToken(db: Db, token: string): Promise<ApiTokenInfo | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined
  const info = await db
    .selectFrom('apiTokens')
    .select(['id', 'name', 'prefix', 'role', 'createdBy', 'createdAt', 'lastUsedAt', 'revokedAt'])
    .where('tokenHash', '=', hashToken(token))
    .where('revokedAt', 'is', null)
    .executeTakeFirst()
  if (info !== undefined && (info.lastUsedAt === null || Date.now() - info.lastUsedAt.getTime() > TOUCH_EVERY_MS)) {
    await db.updateTable('apiTokens').set({ lastUsedAt: new Date() }).where('id', '=', info.id).execute()
  }
  return info
}

/** Every token, newest first. */
export async function listApiTokens(db: Db): Promise<ApiTokenInfo[]> {
  return db.selectFrom('apiTokens').select(['id', 'name', 'prefix', 'role', 'createdBy', 'createdAt', 'lastUsedAt', 'revokedAt']).orderBy('id', 'desc').execute()
}

/** Revoke a token; returns it as it was before, or undefined when unknown or already revoked. */
export async function revokeApiToken(db: Db, id: number): Promise<ApiTokenInfo | undefined> {
  const before = await db.selectFrom('apiTokens').select(['id', 'name', 'prefix', 'role', 'createdBy', 'createdAt', 'lastUsedAt', 'revokedAt']).where('id', '=', id).where('revokedAt', 'is', null).forUpdate().executeTakeFirst()
  if (before === undefined) return undefined
  await db.updateTable('apiTokens').set({ revokedAt: new Date() }).where('id', '=', id).execute()
  return before
}
