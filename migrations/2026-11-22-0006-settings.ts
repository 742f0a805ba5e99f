// Operator settings held in the database (each overrides its environment default) and one
// revision number that every instance polls: triggers bump it in the same transaction as any
// change to settings or NAS clients, so a change made by hand in SQL is picked up too.
// Frozen in time: this file never imports from src/.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table settings (
      key text primary key check (key ~ '^[a-z][A-Za-z0-9]{0,63}$'),
      value jsonb not null,
      updated_at timestamptz not null default now()
    )`.execute(db)
  await sql`
    create table settings_revision (
      singleton boolean primary key default true check (singleton),
      revision bigint not null default 1,
      changed_at timestamptz not null default now()
    )`.execute(db)
  await sql`insert into settings_revision default values`.execute(db)
  await sql`
    create function bump_settings_revision() returns trigger language plpgsql as $fn$
    begin
      update settings_revision set revision = revision + 1, changed_at = now();
      return null;
    end
    $fn$`.execute(db)
  for (const table of ['settings', 'nas_clients']) {
    await sql`
      create trigger ${sql.raw(`${table}_bump_revision`)} after insert or update or delete or truncate on ${sql.table(table)}
      for each statement execute function bump_settings_revision()`.execute(db)
  }
  // "Secret set, last changed …" is all the console ever shows of a shared secret.
  await sql`alter table nas_clients add column secret_changed_at timestamptz not null default now()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table nas_clients drop column if exists secret_changed_at`.execute(db)
  for (const table of ['settings', 'nas_clients']) {
    await sql`drop trigger if exists ${sql.raw(`${table}_bump_revision`)} on ${sql.table(table)}`.execute(db)
  }
  await sql`drop function if exists bump_settings_revision()`.execute(db)
  await sql`drop table if exists settings_revision`.execute(db)
  await sql`drop table if exists settings`.execute(db)
}
