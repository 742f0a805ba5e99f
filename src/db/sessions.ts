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

/** The address columns a session can hold, their SQL type, and where a write keeps each. */
const ADDRESS_COLUMNS: readonly (readonly [string, 'inet' | 'cidr', (w: SessionWrite) => string | null])[] = [
  ['framed_ip', 'inet', (w) => w.framedIp],
  ['framed_ipv6_prefix', 'cidr', (w) => w.framedIpv6Prefix],
  ['delegated_ipv6_prefix', 'cidr', (w) => w.delegatedIpv6Prefix],
]

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
 * Apply one batch of session writes in the caller's transaction. Returns the keys whose row
 * changed; the others were duplicates (the same or a newer record was already stored).
 */
export async function applySessionWrites(trx: Transaction<Database>, writes: SessionWrite[]): Promise<Set<string>> {
  if (writes.length === 0) return new Set()
  // Sorted by key (mergeWrites) so that two instances writing overlapping batches lock rows in one order.
  const rows = mergeWrites(writes)
  const col = <T>(pick: (w: MergedWrite) => T) => rows.map(pick)
  const nasIds = col((w) => w.nasId)
  const realms = col((w) => w.realm)
  const ids = col((w) => w.acctSessionId)
  const v4 = col((w) => w.framedIp)
  const v6 = col((w) => w.framedIpv6Prefix)
  const pd = col((w) => w.delegatedIpv6Prefix)
  const starts = col((w) => w.startedAt)
  const times = col((w) => w.eventTime)
  const stops = col((w) => w.stoppedAt)

  // A new session on an address ends any older active session that still claims it. One
  // statement per kind of address, so each is an index lookup and not a scan of every session.
  for (const [column, type, pick] of ADDRESS_COLUMNS) {
    const holders = rows.filter((w) => w.stoppedAt === null && pick(w) !== null)
    if (holders.length === 0) continue
    await sql`
      update radius_sessions s set stopped_at = v.started, stop_reason = 'superseded'
      from unnest(${holders.map((w) => w.nasId)}::int[], ${holders.map((w) => w.realm)}::text[], ${holders.map((w) => w.acctSessionId)}::text[],
        ${holders.map(pick)}::${sql.raw(type)}[], ${holders.map((w) => w.startedAt)}::timestamptz[])
        as v(nas_id, realm, acct_session_id, address, started)
      where s.stopped_at is null and s.realm = v.realm and ${sql.ref(`s.${column}`)} = v.address and s.started_at <= v.started
        and not (s.nas_id = v.nas_id and s.acct_session_id = v.acct_session_id)`.execute(trx)
  }

  const changed = await sql<{ nasId: number; acctSessionId: string }>`
    insert into radius_sessions as s (nas_id, realm, acct_session_id, msisdn, imsi, framed_ip, framed_ipv6_prefix,
      delegated_ipv6_prefix, started_at, last_seen_at, stopped_at, stop_reason)
    select * from unnest(${nasIds}::int[], ${realms}::text[], ${ids}::text[], ${col((w) => w.msisdn)}::text[], ${col((w) => w.imsi)}::text[],
      ${v4}::inet[], ${v6}::cidr[], ${pd}::cidr[], ${starts}::timestamptz[], ${times}::timestamptz[], ${stops}::timestamptz[],
      ${col((w) => w.stopReason)}::text[])
    on conflict (nas_id, acct_session_id) do update set
      realm = case when excluded.last_seen_at >= s.last_seen_at then excluded.realm else s.realm end,
      msisdn = case when excluded.last_seen_at >= s.last_seen_at then coalesce(excluded.msisdn, s.msisdn) else s.msisdn end,
      imsi = case when excluded.last_seen_at >= s.last_seen_at then coalesce(excluded.imsi, s.imsi) else s.imsi end,
      framed_ip = case when excluded.last_seen_at >= s.last_seen_at then coalesce(excluded.framed_ip, s.framed_ip) else s.framed_ip end,
      framed_ipv6_prefix = case when excluded.last_seen_at >= s.last_seen_at
        then coalesce(excluded.framed_ipv6_prefix, s.framed_ipv6_prefix) else s.framed_ipv6_prefix end,
      delegated_ipv6_prefix = case when excluded.last_seen_at >= s.last_seen_at
        then coalesce(excluded.delegated_ipv6_prefix, s.delegated_ipv6_prefix) else s.delegated_ipv6_prefix end,
      started_at = least(s.started_at, excluded.started_at),
      last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at),
      stopped_at = coalesce(s.stopped_at, excluded.stopped_at),
      stop_reason = coalesce(s.stop_reason, excluded.stop_reason)
    where excluded.last_seen_at > s.last_seen_at or (excluded.stopped_at is not null and s.stopped_at is null)
    returning s.nas_id, s.acct_session_id`.execute(trx)

  // A late record of an older session must not take an address back from a newer session that
  // already holds it (a delayed Start arriving after its successor's).
  for (const [column, , pick] of ADDRESS_COLUMNS) {
    const written = rows.filter((w) => pick(w) !== null)
    if (written.length === 0) continue
    await sql`
      update radius_sessions s set stopped_at = n.started_at, stop_reason = 'superseded'
      from unnest(${written.map((w) => w.nasId)}::int[], ${written.map((w) => w.acctSessionId)}::text[]) as v(nas_id, acct_session_id), radius_sessions n
      where s.nas_id = v.nas_id and s.acct_session_id = v.acct_session_id and s.stopped_at is null
        and n.stopped_at is null and n.realm = s.realm and ${sql.ref(`n.${column}`)} = ${sql.ref(`s.${column}`)}
        and n.id <> s.id and n.started_at > s.started_at`.execute(trx)
  }
  return new Set(changed.rows.map(sessionKey))
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

/** Whether any accounting for the line was stored at or after `since` (a new session or a newer record). */
export async function accountingSeenSince(db: Kysely<Database>, msisdn: string, since: Date): Promise<boolean> {
  const row = await db
    .selectFrom('radiusSessions')
    .select('id')
    .where('msisdn', '=', msisdn)
    .where((eb) => eb.or([eb('lastSeenAt', '>=', since), eb('startedAt', '>=', since)]))
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}
