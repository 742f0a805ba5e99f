// Console sessions. The cookie carries a random 256-bit id; the table keeps only its SHA-256, so
// a leaked database dump opens no session. A session lives 30 minutes idle and 12 hours at most.
import { createHash, randomBytes } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { Role } from '../staff/permissions.ts'
import type { Database } from './schema.ts'

type Db = Kysely<Database> | Transaction<Database>

/** How long a session lasts without use, and at most. */
export const SESSION_IDLE_MS = 30 * 60 * 1000
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000
/** last_seen_at moves at most this often (a page view is not a write). */
const TOUCH_EVERY_MS = 60 * 1000

/** A session as the console plugin sees it, with its user when signed in. */
export interface StaffSession {
  idHash: Buffer
  stage: 'anonymous' | 'totp' | 'complete'
  csrfToken: string
  createdAt: Date
  lastSeenAt: Date
  user: { id: number; username: string; role: Role } | null
}

/** The stored form of a session id. */
export function hashSessionId(id: string): Buffer {
  return createHash('sha256').update(id).digest()
}

/** Start a session; returns the id for the cookie (never stored) and the session. */
export async function createStaffSession(db: Db, staffId: number | null, stage: StaffSession['stage']): Promise<{ id: string; csrfToken: string }> {
  const id = randomBytes(32).toString('base64url')
  const csrfToken = randomBytes(32).toString('base64url')
  const now = Date.now()
  await db
    .insertInto('staffSessions')
    .values({ idHash: hashSessionId(id), staffId, stage, csrfToken, expiresAt: new Date(now + SESSION_IDLE_MS) })
    .execute()
  return { id, csrfToken }
}

/** The live session for cookie value `id` (users disabled since are signed out). */
export async function findStaffSession(db: Db, id: string): Promise<StaffSession | undefined> {
  const row = await db
    .selectFrom('staffSessions as s')
    .leftJoin('staffUsers as u', 'u.id', 's.staffId')
    .select(['s.idHash', 's.stage', 's.csrfToken', 's.createdAt', 's.lastSeenAt', 's.staffId', 'u.username', 'u.role', 'u.disabled'])
    .where('s.idHash', '=', hashSessionId(id))
    .where('s.expiresAt', '>', new Date())
    .executeTakeFirst()
  if (row === undefined) return undefined
  if (row.staffId !== null && (row.disabled !== false || row.username === null || row.role === null)) return undefined
  return {
    idHash: row.idHash,
    stage: row.stage,
    csrfToken: row.csrfToken,
    createdAt: row.createdAt,
    lastSeenAt: row.lastSeenAt,
    user: row.staffId === null ? null : { id: row.staffId, username: row.username!, role: row.role! },
  }
}

/** Extend an idle session's life after a request (at most once a minute, never past the maximum). */
export async function touchStaffSession(db: Db, session: StaffSession): Promise<void> {
  const now = Date.now()
  if (now - session.lastSeenAt.getTime() < TOUCH_EVERY_MS) return
  const expiresAt = new Date(Math.min(now + SESSION_IDLE_MS, session.createdAt.getTime() + SESSION_MAX_MS))
  await db.updateTable('staffSessions').set({ lastSeenAt: new Date(now), expiresAt }).where('idHash', '=', session.idHash).execute()
}

/** End a session. */
export async function deleteStaffSession(db: Db, idHash: Buffer): Promise<void> {
  await db.deleteFrom('staffSessions').where('idHash', '=', idHash).execute()
}

/** End every session of a user (password change, disabling, TOTP enrolment). */
export async function deleteSessionsOf(db: Db, staffId: number): Promise<void> {
  await db.deleteFrom('staffSessions').where('staffId', '=', staffId).execute()
}

/** Remove expired sessions; returns how many. */
export async function purgeExpiredStaffSessions(db: Db): Promise<number> {
  const result = await db.deleteFrom('staffSessions').where('expiresAt', '<=', new Date()).executeTakeFirst()
  return Number(result.numDeletedRows)
}
