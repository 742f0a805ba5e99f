// The stored state of the sessions a batch of Interim-Updates names, read in one statement, so
// an Interim that repeats what is stored costs a read and no write.
import { type Kysely, sql } from 'kysely'
import type { Database } from './schema.ts'
import { sessionKey } from './sessions.ts'

/** What an Interim-Update is compared with. */
export interface StoredSessionState {
  realm: string
  msisdn: string | null
  framedIp: string | null
  framedIpv6Prefix: string | null
  delegatedIpv6Prefix: string | null
  lastSeenAt: Date
  stoppedAt: Date | null
}

/** Stored state by session key for the given sessions (absent ones are missing from the map). */
export async function readSessionStates(
  db: Kysely<Database>,
  keys: { nasId: number; acctSessionId: string }[],
): Promise<Map<string, StoredSessionState>> {
  const states = new Map<string, StoredSessionState>()
  if (keys.length === 0) return states
  const rows = await sql<StoredSessionState & { nasId: number; acctSessionId: string }>`
    select s.nas_id, s.acct_session_id, s.realm, s.msisdn, host(s.framed_ip) as framed_ip, s.framed_ipv6_prefix::text as framed_ipv6_prefix,
      s.delegated_ipv6_prefix::text as delegated_ipv6_prefix, s.last_seen_at, s.stopped_at
    from unnest(${keys.map((k) => k.nasId)}::int[], ${keys.map((k) => k.acctSessionId)}::text[]) as v(nas_id, acct_session_id)
    join radius_sessions s on s.nas_id = v.nas_id and s.acct_session_id = v.acct_session_id`.execute(db)
  for (const row of rows.rows) states.set(sessionKey(row), row)
  return states
}
