// What RADIUS accounting taught us: which line is behind which address, per NAS and realm.
// Frozen in time: this file never imports from src/.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table radius_sessions (
      id bigserial primary key,
      nas_id integer not null references nas_clients (id) on delete cascade,
      realm text not null,
      acct_session_id text not null,
      msisdn text,
      imsi text,
      framed_ip inet,
      framed_ipv6_prefix cidr,
      delegated_ipv6_prefix cidr,
      started_at timestamptz not null,
      last_seen_at timestamptz not null,
      stopped_at timestamptz,
      stop_reason text,
      unique (nas_id, acct_session_id)
    )`.execute(db)
  // Identification looks up active sessions by (realm, address) and by IPv6 prefix containment.
  await sql`create index radius_sessions_active_ipv4 on radius_sessions (realm, framed_ip) where stopped_at is null`.execute(db)
  await sql`
    create index radius_sessions_active_ipv6 on radius_sessions using gist (framed_ipv6_prefix inet_ops)
    where stopped_at is null and framed_ipv6_prefix is not null`.execute(db)
  await sql`
    create index radius_sessions_active_delegated on radius_sessions using gist (delegated_ipv6_prefix inet_ops)
    where stopped_at is null and delegated_ipv6_prefix is not null`.execute(db)
  // Support's "session history of a line".
  await sql`create index radius_sessions_msisdn on radius_sessions (msisdn, started_at desc) where msisdn is not null`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists radius_sessions`.execute(db)
}
