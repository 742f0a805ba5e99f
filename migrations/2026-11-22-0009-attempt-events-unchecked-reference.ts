// attempt_events.attempt_id without its foreign key. Every event is written right after (or in the
// same statement as) the attempt row it belongs to, and the foreign key's check then took a
// KEY SHARE row lock on that freshly written row version: a WAL-logged lock per event, six per
// voucher recharge, about a fifth of PostgreSQL's time per recharge in bench:recharge
// (pg_stat_statements: 0.11 ms per check against 0.006 ms for the ledger's check on a line the
// transaction had already locked). The reference still holds by construction: events are inserted
// only from the attempt row a statement just wrote (RETURNING), or, for events on their own, only
// where that attempt exists (src/db/attempts.ts addEvents); attempts are never deleted. The
// reliability tests check that no event is left without its attempt.
// Frozen in time: this file never imports from src/.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table attempt_events drop constraint if exists attempt_events_attempt_id_fkey`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table attempt_events add constraint attempt_events_attempt_id_fkey foreign key (attempt_id) references recharge_attempts (id)`.execute(db)
}
