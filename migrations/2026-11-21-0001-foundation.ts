// Foundation tables: NAS clients, the built-in billing ledger, vouchers, staff, instance secrets.
// Frozen in time: this file never imports from src/.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table nas_clients (
      id serial primary key,
      name text not null unique,
      address cidr not null unique,
      secret text not null check (length(secret) > 0),
      realm text not null default 'default',
      require_message_authenticator boolean not null default true,
      coa_host inet,
      coa_port integer not null default 3799 check (coa_port between 1 and 65535),
      lift_profile text not null default 'coa' check (lift_profile in ('coa', 'disconnect', 'none')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db)

  await sql`
    create table lines (
      msisdn text primary key check (msisdn ~ '^[0-9]{6,15}$'),
      balance_minor bigint not null,
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      status text not null check (status in ('active', 'suspended')),
      suspension_reason text check (suspension_reason in ('arrears', 'fraud', 'administrative', 'other')),
      restore_threshold_minor bigint not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((status = 'suspended') = (suspension_reason is not null))
    )`.execute(db)

  await sql`
    create table ledger_entries (
      id bigserial primary key,
      msisdn text not null references lines (msisdn),
      amount_minor bigint not null,
      currency char(3) not null,
      kind text not null check (kind in ('opening', 'credit', 'debit', 'refund', 'adjustment')),
      idempotency_key text not null unique,
      reference text,
      created_at timestamptz not null default now()
    )`.execute(db)
  await sql`create index ledger_entries_msisdn on ledger_entries (msisdn, created_at)`.execute(db)

  await sql`
    create table voucher_batches (
      id serial primary key,
      name text not null unique,
      value_minor bigint not null check (value_minor > 0),
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      expires_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db)

  await sql`
    create table vouchers (
      serial text primary key check (serial ~ '^[0-9A-Za-z-]{4,40}$'),
      batch_id integer not null references voucher_batches (id),
      pin_hash bytea not null,
      status text not null default 'unused' check (status in ('unused', 'used', 'void')),
      used_at timestamptz,
      used_for text,
      created_at timestamptz not null default now(),
      check ((status = 'used') = (used_at is not null))
    )`.execute(db)
  await sql`create index vouchers_batch on vouchers (batch_id)`.execute(db)

  await sql`
    create table staff_users (
      id serial primary key,
      username text not null unique check (username ~ '^[a-z0-9._-]{3,64}$'),
      password_hash text not null,
      role text not null check (role in ('admin', 'operator', 'support')),
      disabled boolean not null default false,
      created_at timestamptz not null default now()
    )`.execute(db)

  await sql`
    create table app_secrets (
      name text primary key,
      value text not null,
      created_at timestamptz not null default now()
    )`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['app_secrets', 'staff_users', 'vouchers', 'voucher_batches', 'ledger_entries', 'lines', 'nas_clients']) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db)
  }
}
