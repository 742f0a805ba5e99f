// Accounting sessions: written in batches (one transaction per group commit), read by address.
// Writes are idempotent and order-insensitive: a retransmitted or re-sent record changes
// nothing, and an older record arriving late never overwrites a newer one.
import { type Kysely, sql, type Transaction } from 'kysely'
import type { Database, RadiusSession } from './schema.ts'

/** The state one accounting record says a session is in. */
export interface SessionWrite {
  nasId: number
  realm: string
  acctSessionId: string
  msisdn: string | null
  imsi: string | null
  framedIp: string | null
  framedIpv6Prefix: string | null
  delegatedIpv6Prefix: string | null
  /** When the record's event happened (Event-Timestamp, or arrival minus Acct-Delay-Time). */
  eventTime: Date
  /** Set for a Stop: the session ended at eventTime for this reason. */
  stopReason: string | null
}

/** A session key: Acct-Session-Id is unique per NAS only. */
export function sessionKey(w: { nasId: number; acctSessionId: string }): string {
  return `${w.nasId}\u0000${w.acctSessionId}`
}

interface MergedWrite extends SessionWrite {
  startedAt: Date
  stoppedAt: Date | null
}

// One row per session key (ON CONFLICT may touch a row once per statement): the newest record's
// mapping wins, the earliest time is the start, any Stop stops it. Within the batch, an older
// session sharing an address with a newer one is superseded here, as the database would do.
function mergeWrites(writes: SessionWrite[]): MergedWrite[] {
  const byKey = new Map<string, MergedWrite>()
  for (const w of [...writes].sort((a, b) => a.eventTime.getTime() - b.eventTime.getTime())) {
    const key = sessionKey(w)
    const prev = byKey.get(key)
    const stoppedAt = w.stopReason === null ? null : w.eventTime
    if (prev === undefined) {
      byKey.set(key, { ...w, startedAt: w.eventTime, stoppedAt })
      continue
    }
    byKey.set(key, {
      ...w,
      msisdn: w.msisdn ?? prev.msisdn,
      imsi: w.imsi ?? prev.imsi,
      framedIp: w.framedIp ?? prev.framedIp,
      framedIpv6Prefix: w.framedIpv6Prefix ?? prev.framedIpv6Prefix,
      delegatedIpv6Prefix: w.delegatedIpv6Prefix ?? prev.delegatedIpv6Prefix,
      startedAt: prev.startedAt,
      stoppedAt: prev.stoppedAt ?? stoppedAt,
      stopReason: prev.stopReason ?? w.stopReason,
    })
  }
  const merged = [...byKey.values()]
  const holder = new Map<string, MergedWrite>()
  for (const m of [...merged].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime())) {
    if (m.stoppedAt !== null) continue
    for (const address of [m.framedIp, m.framedIpv6Prefix, m.delegatedIpv6Prefix]) {
      if (address === null) continue
      const newer = holder.get(`${m.realm}\u0000${address}`)
      if (newer !== undefined && newer !== m) {
        m.stoppedAt = newer.startedAt
        m.stopReason = 'superseded'
        break
      }
      holder.set(`${m.realm}\u0000${address}`, m)
    }
  }
  return merged.sort((a, b) => (sessionKey(a) < sessionKey(b) ? -1 : 1))
}

/**
 * Apply one batch of session writes, atomically, in one statement (the apply_session_writes
 * function of migration 0004); `db` may be a transaction. Returns the keys whose row changed; the
 * others were duplicates (the same or a newer record was already stored).
 */
export async function applySessionWrites(db: Kysely<Database> | Transaction<Database>, writes: SessionWrite[]): Promise<Set<string>> {
  if (writes.length === 0) return new Set()
  // Sorted by key (mergeWrites) so that two writers of overlapping batches lock rows in one order.
  const rows = mergeWrites(writes)
  const col = <T>(pick: (w: MergedWrite) => T) => rows.map(pick)
  const changed = await sql<{ changedNasId: number; changedAcctSessionId: string }>`
    select * from apply_session_writes(${col((w) => w.nasId)}::int[], ${col((w) => w.realm)}::text[], ${col((w) => w.acctSessionId)}::text[],
      ${col((w) => w.msisdn)}::text[], ${col((w) => w.imsi)}::text[], ${col((w) => w.framedIp)}::inet[], ${col((w) => w.framedIpv6Prefix)}::cidr[],
      ${col((w) => w.delegatedIpv6Prefix)}::cidr[], ${col((w) => w.startedAt)}::timestamptz[], ${col((w) => w.eventTime)}::timestamptz[],
      ${col((w) => w.stoppedAt)}::timestamptz[], ${col((w) => w.stopReason)}::text[])`.execute(db)
  return new Set(changed.rows.map((r) => sessionKey({ nasId: r.changedNasId, acctSessionId: r.changedAcctSessionId })))
}

/** Move last_seen_at forward for sessions whose address mapping did not change (Interim-Updates). */
export async function touchSessions(trx: Transaction<Database>, touches: { nasId: number; acctSessionId: string; at: Date }[]): Promise<number> {
  if (touches.length === 0) return 0
  const rows = [...touches].sort((a, b) => (sessionKey(a) < sessionKey(b) ? -1 : 1))
  const result = await sql`
    update radius_sessions s set last_seen_at = v.t
    from unnest(${rows.map((r) => r.nasId)}::int[], ${rows.map((r) => r.acctSessionId)}::text[], ${rows.map((r) => r.at)}::timestamptz[])
      as v(nas_id, acct_session_id, t)
    where s.nas_id = v.nas_id and s.acct_session_id = v.acct_session_id and s.last_seen_at < v.t and s.stopped_at is null`.execute(trx)
  return Number(result.numAffectedRows ?? 0)
}

/** Close every active session of a NAS that started by `before` (Accounting-On/Off: the NAS rebooted). */
export async function closeNasSessions(db: Kysely<Database> | Transaction<Database>, nasId: number, before: Date, reason: string): Promise<number> {
  const result = await db
    .updateTable('radiusSessions')
    .set({ stoppedAt: before, stopReason: reason })
    .where('nasId', '=', nasId)
    .where('stoppedAt', 'is', null)
    .where('startedAt', '<=', before)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** The newest active session holding `address` in `realm`, seen since `seenSince`. */
export async function findActiveSessionByAddress(
  db: Kysely<Database>,
  realm: string,
  address: string,
  seenSince: Date,
): Promise<RadiusSession | undefined> {
  const base = db.selectFrom('radiusSessions').selectAll().where('stoppedAt', 'is', null).where('lastSeenAt', '>=', seenSince)
  if (!address.includes(':')) {
    return base.where('realm', '=', realm).where('framedIp', '=', address).orderBy('startedAt', 'desc').limit(1).executeTakeFirst()
  }
  // An IPv6 device address lies inside the session's framed or delegated prefix.
  const [framed, delegated] = await Promise.all([
    base.where(sql<boolean>`framed_ipv6_prefix >>= ${address}::inet`).where('realm', '=', realm).orderBy('startedAt', 'desc').limit(1).executeTakeFirst(),
    base.where(sql<boolean>`delegated_ipv6_prefix >>= ${address}::inet`).where('realm', '=', realm).orderBy('startedAt', 'desc').limit(1).executeTakeFirst(),
  ])
  if (framed && delegated) return framed.startedAt >= delegated.startedAt ? framed : delegated
  return framed ?? delegated
}

/** Mark sessions unseen since `cutoff` as expired; returns how many. */
export async function expireSessions(db: Kysely<Database>, cutoff: Date): Promise<number> {
  const result = await db
    .updateTable('radiusSessions')
    .set((eb) => ({ stoppedAt: eb.ref('lastSeenAt'), stopReason: 'expired' }))
    .where('stoppedAt', 'is', null)
    .where('lastSeenAt', '<', cutoff)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** The newest active session of a line, in any realm. */
export async function findActiveSessionByMsisdn(db: Kysely<Database>, msisdn: string): Promise<RadiusSession | undefined> {
  return db.selectFrom('radiusSessions').selectAll().where('msisdn', '=', msisdn).where('stoppedAt', 'is', null).orderBy('startedAt', 'desc').limit(1).executeTakeFirst()
}
