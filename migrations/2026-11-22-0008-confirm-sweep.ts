// Lifts are now confirmed by one sweep over the lifted attempts instead of a "confirm" job per
// attempt. Confirm jobs still waiting are finished here, with the reason: the sweep confirms
// their attempts (still lifted, within its window) like any other.
// Frozen in time: this file never imports from src/.
import { type Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    update jobs set done_at = now(), locked_by = null, locked_until = null, last_error = 'replaced by the confirm sweep'
    where kind = 'confirm' and done_at is null`.execute(db)
}

// Nothing to undo: the finished jobs stay finished (an older version leaves those attempts lifted).
export async function down(_db: Kysely<any>): Promise<void> {}
