// The audit log: one append-only row per staff action or settings change (who, when, what,
// before/after, why). Written with the caller's db handle, so a change and its audit entry commit
// in the same transaction or not at all. The table refuses UPDATE, DELETE and TRUNCATE.
import type { Kysely, Transaction } from 'kysely'
import type { Database } from '../db/schema.ts'

type Db = Kysely<Database> | Transaction<Database>

/** Who did it, as the console/API plugin knows them (request.staff), or the CLI / the system. */
export interface AuditActor {
  /** A username, `token:<name>` for an API token, or `cli` / `system`. */
  name: string
  /** The staff user's or API token's id; null for the CLI and the system. */
  id: number | null
  via: 'session' | 'token' | 'cli' | 'system'
}

/** One entry to record. */
export interface AuditEntry {
  actor: AuditActor
  /** Dotted verb, e.g. 'attempt.retry-lift', 'settings.update', 'nas.create', 'staff.login'. */
  action: string
  /** What it was done to, e.g. 'attempt:Xy…', 'nas:3', 'settings'. */
  target?: string | null
  /** State before and after (secrets must be left out by the caller). */
  before?: unknown
  after?: unknown
  reason?: string | null
  sourceAddress?: string | null
  requestId?: string | null
}

/** An entry as read back. */
export interface AuditRecord {
  id: number
  at: Date
  actor: string
  actorId: number | null
  via: AuditActor['via']
  action: string
  target: string | null
  before: unknown
  after: unknown
  reason: string | null
  sourceAddress: string | null
  requestId: string | null
}

const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value))

/** Append an entry; pass the transaction that makes the change so both commit together. */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<number> {
  const row = await db
    .insertInto('auditLog')
    .values({
      actor: entry.actor.name,
      actorId: entry.actor.id,
      via: entry.actor.via,
      action: entry.action,
      target: entry.target ?? null,
      before: json(entry.before),
      after: json(entry.after),
      reason: entry.reason ?? null,
      sourceAddress: entry.sourceAddress ?? null,
      requestId: entry.requestId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** What a search may filter on (all optional, combined with AND). */
export interface AuditFilter {
  actor?: string
  /** An action, or a prefix ending in '.' (e.g. 'settings.'). */
  action?: string
  /** Substring of the target. */
  target?: string
  from?: Date
  to?: Date
  /** Only entries older than this id (keyset paging, newest first). */
  beforeId?: number
  limit?: number
}

/** Entries matching `filter`, newest first. */
export async function searchAudit(db: Db, filter: AuditFilter): Promise<AuditRecord[]> {
  let query = db.selectFrom('auditLog').selectAll()
  if (filter.actor) query = query.where('actor', '=', filter.actor)
  if (filter.action) query = filter.action.endsWith('.') ? query.where('action', 'like', `${escapeLike(filter.action)}%`) : query.where('action', '=', filter.action)
  if (filter.target) query = query.where('target', 'like', `%${escapeLike(filter.target)}%`)
  if (filter.from) query = query.where('at', '>=', filter.from)
  if (filter.to) query = query.where('at', '<', filter.to)
  if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId)
  const rows = await query.orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 10_000)).execute()
  return rows.map((r) => ({ ...r, sourceAddress: r.sourceAddress === null ? null : String(r.sourceAddress) }))
}

/** `text` with LIKE's wildcards escaped (backslash is PostgreSQL's default escape). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}
