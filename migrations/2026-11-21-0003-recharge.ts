// Recharge attempts with their append-only timeline, durable jobs, and voucher PIN failures
// (kept in the database so a lockout holds across instances). Frozen in time: no imports from src/.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // The per-NAS lift profile's CoA attributes (name/value pairs sent with every CoA-Request).
  await sql`alter table nas_clients add column coa_attributes jsonb not null default '[]'`.execute(db)
  await sql`
    create table recharge_attempts (
      id text primary key,
      reference text not null unique,
      msisdn text not null,
      method text not null check (method in ('voucher', 'card')),
      amount_minor bigint check (amount_minor is null or amount_minor > 0),
      currency char(3),
      state text not null check (state in ('created', 'paying', 'paid', 'credited', 'lifting', 'lifted', 'confirmed',
        'declined', 'failed', 'refunded', 'expired')),
      source_address inet,
      realm text,
      identified_how text,
      voucher_serial text,
      provider_order_id text unique,
      continue_url text,
      needs_support boolean not null default false,
      support_reason text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      paid_at timestamptz,
      credited_at timestamptz,
      lifted_at timestamptz,
      confirmed_at timestamptz
    )`.execute(db)
  await sql`create index recharge_attempts_msisdn on recharge_attempts (msisdn, created_at desc)`.execute(db)
  await sql`create index recharge_attempts_open on recharge_attempts (state, updated_at) where state in ('created', 'paying', 'paid', 'credited', 'lifting', 'lifted')`.execute(db)
  // One voucher pays one attempt, ever.
  await sql`create unique index recharge_attempts_voucher on recharge_attempts (voucher_serial) where voucher_serial is not null and state not in ('declined', 'failed', 'expired')`.execute(db)

  await sql`
    create table attempt_events (
      id bigserial primary key,
      attempt_id text not null references recharge_attempts (id),
      at timestamptz not null default now(),
      kind text not null,
      detail jsonb not null default '{}'
    )`.execute(db)
  await sql`create index attempt_events_attempt on attempt_events (attempt_id, id)`.execute(db)

  await sql`
    create table jobs (
      id bigserial primary key,
      kind text not null,
      payload jsonb not null,
      dedupe_key text unique,
      run_at timestamptz not null default now(),
      tries integer not null default 0,
      max_tries integer not null default 10,
      locked_by text,
      locked_until timestamptz,
      last_error text,
      done_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db)
  await sql`create index jobs_due on jobs (run_at) where done_at is null`.execute(db)

  await sql`
    create table voucher_failures (
      subject text not null,
      at timestamptz not null default now()
    )`.execute(db)
  await sql`create index voucher_failures_subject on voucher_failures (subject, at)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['voucher_failures', 'jobs', 'attempt_events', 'recharge_attempts']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db)
  }
  await sql`alter table nas_clients drop column if exists coa_attributes`.execute(db)
}
