// The identification lookup on the hot path (every portal page, every identify call): the newest
// active session at an IPv4 address, and optionally its line in the built-in ledger, in one
// statement. Fixed SQL sent as compiled (no query building per request), as a named prepared
// statement on PostgreSQL (parsed and planned once per connection), and only the columns
// identification uses (no timestamps to parse). The page's lookup also comes in a form that
// answers several addresses in one statement (identify.ts batches the pages of one event-loop turn).
import { CompiledQuery, type Kysely } from 'kysely'
import type { Account } from '../recharge/ports.ts'
import { preparedStatement } from './prepared-statements.ts'
import type { Database } from './schema.ts'

/** What identification needs of a session. */
export interface SessionKey {
  id: number
  nasId: number
  acctSessionId: string
  msisdn: string | null
}

// Served by radius_sessions_active_ipv4 (realm, framed_ip) where stopped_at is null.
const SESSION_SQL = `select id, nas_id, acct_session_id, msisdn from radius_sessions
  where stopped_at is null and last_seen_at >= $1 and realm = $2 and framed_ip = $3
  order by started_at desc limit 1`
const SESSION = preparedStatement('rg_session_by_ipv4', SESSION_SQL)

// The same session, and its line by primary key; line columns are null for a line not in the ledger.
const SESSION_WITH_LINE = preparedStatement(
  'rg_session_line_by_ipv4',
  `select s.id, s.nas_id, s.acct_session_id, s.msisdn, l.msisdn as line_msisdn, l.balance_minor,
    l.currency, l.status, l.suspension_reason, l.restore_threshold_minor
  from (${SESSION_SQL}) s left join lines l on l.msisdn = s.msisdn`,
)

interface SessionRow extends SessionKey {
  lineMsisdn?: string | null
  balanceMinor?: number | null
  currency?: string | null
  status?: Account['status'] | null
  suspensionReason?: Account['suspensionReason']
  restoreThresholdMinor?: number | null
}

/** The newest active session at IPv4 `address` in `realm`, seen since `seenSince`. */
export async function findActiveIpv4Session(db: Kysely<Database>, realm: string, address: string, seenSince: Date): Promise<SessionKey | undefined> {
  const { rows } = await db.executeQuery<SessionRow>(CompiledQuery.raw(SESSION, [seenSince, realm, address]))
  const row = rows[0]
  return row === undefined ? undefined : { id: row.id, nasId: row.nasId, acctSessionId: row.acctSessionId, msisdn: row.msisdn }
}

/** A session and its line's account in the built-in ledger (null: no account, or no number). */
export interface SessionWithAccount {
  session: SessionKey
  account: Account | null
}

function withAccount(row: SessionRow | undefined): SessionWithAccount | undefined {
  if (row === undefined) return undefined
  const session = { id: row.id, nasId: row.nasId, acctSessionId: row.acctSessionId, msisdn: row.msisdn }
  if (row.lineMsisdn == null) return { session, account: null }
  const account: Account = {
    msisdn: row.lineMsisdn,
    balanceMinor: row.balanceMinor!,
    currency: row.currency!,
    status: row.status!,
    suspensionReason: row.suspensionReason ?? null,
    restoreThresholdMinor: row.restoreThresholdMinor!,
  }
  return { session, account }
}

/**
 * As findActiveIpv4Session, with the built-in ledger's account of the session's line read in the
 * same statement (null when the line has no account, or the session no number).
 */
export async function findActiveIpv4SessionWithAccount(
  db: Kysely<Database>,
  realm: string,
  address: string,
  seenSince: Date,
): Promise<SessionWithAccount | undefined> {
  const { rows } = await db.executeQuery<SessionRow>(CompiledQuery.raw(SESSION_WITH_LINE, [seenSince, realm, address]))
  return withAccount(rows[0])
}

/** One lookup of findActiveIpv4SessionsWithAccounts. */
export interface Ipv4Lookup {
  realm: string
  /** A canonical dotted-quad IPv4 address (anything else would fail the whole statement). */
  address: string
  seenSince: Date
}

// Each lookup is the statement above, run per element of the arrays (lateral, same index);
// `n` puts the answers back in the lookups' order.
const SESSIONS_WITH_LINES = preparedStatement(
  'rg_sessions_lines_by_ipv4',
  `select q.n::int as n, s.id, s.nas_id, s.acct_session_id, s.msisdn, l.msisdn as line_msisdn,
    l.balance_minor, l.currency, l.status, l.suspension_reason, l.restore_threshold_minor
  from unnest($1::timestamptz[], $2::text[], $3::inet[]) with ordinality as q(seen_since, realm, framed_ip, n)
  cross join lateral (select id, nas_id, acct_session_id, msisdn from radius_sessions r
    where r.stopped_at is null and r.last_seen_at >= q.seen_since and r.realm = q.realm and r.framed_ip = q.framed_ip
    order by r.started_at desc limit 1) s
  left join lines l on l.msisdn = s.msisdn`,
)

/** findActiveIpv4SessionWithAccount for several lookups in one statement; answers in their order. */
export async function findActiveIpv4SessionsWithAccounts(db: Kysely<Database>, lookups: readonly Ipv4Lookup[]): Promise<(SessionWithAccount | undefined)[]> {
  const parameters = [lookups.map((l) => l.seenSince), lookups.map((l) => l.realm), lookups.map((l) => l.address)]
  const { rows } = await db.executeQuery<SessionRow & { n: number }>(CompiledQuery.raw(SESSIONS_WITH_LINES, parameters))
  const found: (SessionWithAccount | undefined)[] = new Array(lookups.length).fill(undefined)
  for (const row of rows) found[row.n - 1] = withAccount(row)
  return found
}
