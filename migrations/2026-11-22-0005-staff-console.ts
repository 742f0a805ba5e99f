// Staff console and admin API: sessions (stored hashed, rotated at login and logout), optional
// TOTP per staff user, login failures kept in the database so throttling holds across instances,
// API tokens (stored hashed, revocable) and the append-only audit log. Frozen in time: no src/.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table staff_users
      add column totp_secret text,
      add column totp_enabled_at timestamptz,
      add column totp_last_step bigint`.execute(db)

  // staff_id is null for a signed-out visitor's session (it carries the login form's CSRF token);
  // stage 'totp' is a password-checked session still waiting for the second factor.
  await sql`
    create table staff_sessions (
      id_hash bytea primary key,
      staff_id integer references staff_users (id) on delete cascade,
      stage text not null check (stage in ('anonymous', 'totp', 'complete')),
      csrf_token text not null,
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      expires_at timestamptz not null,
      check ((stage = 'anonymous') = (staff_id is null))
    )`.execute(db)
  await sql`create index staff_sessions_expiry on staff_sessions (expires_at)`.execute(db)
  await sql`create index staff_sessions_staff on staff_sessions (staff_id)`.execute(db)

  await sql`
    create table staff_login_failures (
      subject text not null,
      at timestamptz not null default now()
    )`.execute(db)
  await sql`create index staff_login_failures_subject on staff_login_failures (subject, at)`.execute(db)

  await sql`
    create table api_tokens (
      id serial primary key,
      name text not null unique check (name ~ '^[a-z0-9._-]{3,64}$'),
      token_hash bytea not null unique,
      prefix text not null,
      role text not null check (role in ('admin', 'operator', 'support')),
      created_by text not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db)

  await sql`
    create table audit_log (
      id bigserial primary key,
      at timestamptz not null default now(),
      actor text not null,
      actor_id integer,
      via text not null check (via in ('session', 'token', 'cli', 'system')),
      action text not null,
      target text,
      before jsonb,
      after jsonb,
      reason text,
      source_address inet,
      request_id text
    )`.execute(db)
  await sql`create index audit_log_at on audit_log (at desc, id desc)`.execute(db)
  await sql`create index audit_log_actor on audit_log (actor, at desc)`.execute(db)
  await sql`create index audit_log_action on audit_log (action, at desc)`.execute(db)

  // Support's searches: by the last digits of a number (a reversed prefix match), by source
  // address, by voucher serial, by time.
  await sql`create index recharge_attempts_msisdn_reversed on recharge_attempts (reverse(msisdn) text_pattern_ops)`.execute(db)
  await sql`create index recharge_attempts_source on recharge_attempts (source_address) where source_address is not null`.execute(db)
  await sql`create index recharge_attempts_serial on recharge_attempts (voucher_serial) where voucher_serial is not null`.execute(db)
  await sql`create index recharge_attempts_created on recharge_attempts (created_at desc)`.execute(db)

  // Append-only for every role, owner and superuser included (a trigger runs for all of them);
  // the REVOKE keeps the privilege off the table for roles that get grants through PUBLIC or the
  // role that ran the migration (the operator grants the gateway's role select and insert only).
  await sql`
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
    end
    $$`.execute(db)
  await sql`create trigger audit_log_no_update_delete before update or delete on audit_log for each row execute function audit_log_append_only()`.execute(db)
  await sql`create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_append_only()`.execute(db)
  await sql`revoke update, delete, truncate on audit_log from public`.execute(db)
  await sql`revoke update, delete, truncate on audit_log from current_user`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['recharge_attempts_msisdn_reversed', 'recharge_attempts_source', 'recharge_attempts_serial', 'recharge_attempts_created']) {
    await sql`drop index if exists ${sql.ref(index)}`.execute(db)
  }
  await sql`drop table if exists audit_log`.execute(db)
  await sql`drop function if exists audit_log_append_only()`.execute(db)
  for (const table of ['api_tokens', 'staff_login_failures', 'staff_sessions']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db)
  }
  await sql`alter table staff_users drop column if exists totp_secret, drop column if exists totp_enabled_at, drop column if exists totp_last_step`.execute(db)
}
