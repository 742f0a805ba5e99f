// Audits of the built-in ledger for the reliability tests: the books balance line by line, and
// every credit entry belongs to exactly one paid attempt (idempotency key `attempt:<id>`).
import { type Kysely, sql } from 'kysely'
import type { Database } from '../../../src/db/schema.ts'

/** A line whose balance differs from the sum of its ledger entries. */
export interface Imbalance {
  msisdn: string
  balanceMinor: number
  ledgerMinor: number
}

/** Every line where sum(ledger_entries.amount_minor) ≠ lines.balance_minor (empty when the books balance). */
export async function ledgerImbalances(db: Kysely<Database>): Promise<Imbalance[]> {
  const result = await sql<Imbalance>`
    select l.msisdn, l.balance_minor::int8 as "balanceMinor", coalesce(sum(e.amount_minor), 0)::int8 as "ledgerMinor"
    from lines l left join ledger_entries e on e.msisdn = l.msisdn
    group by l.msisdn, l.balance_minor
    having l.balance_minor <> coalesce(sum(e.amount_minor), 0)
    order by l.msisdn`.execute(db)
  return result.rows.map((r) => ({ ...r, balanceMinor: Number(r.balanceMinor), ledgerMinor: Number(r.ledgerMinor) }))
}

/** Credit entries per attempt id (from the `attempt:<id>` key); keys of any other shape under `other`. */
export async function creditEntriesByAttempt(db: Kysely<Database>): Promise<{ byAttempt: Map<string, { msisdn: string; amountMinor: number }[]>; other: string[] }> {
  const rows = await db.selectFrom('ledgerEntries').select(['msisdn', 'amountMinor', 'idempotencyKey']).where('kind', '=', 'credit').execute()
  const byAttempt = new Map<string, { msisdn: string; amountMinor: number }[]>()
  const other: string[] = []
  for (const row of rows) {
    const match = /^attempt:(.+)$/.exec(row.idempotencyKey)
    if (match === null) {
      other.push(row.idempotencyKey)
      continue
    }
    const list = byAttempt.get(match[1]!) ?? []
    list.push({ msisdn: row.msisdn, amountMinor: Number(row.amountMinor) })
    byAttempt.set(match[1]!, list)
  }
  return { byAttempt, other }
}

/** Timeline events whose attempt does not exist (attempt_events has no foreign key: migration 0009). */
export async function orphanEvents(db: Kysely<Database>): Promise<number> {
  const result = await sql<{ n: number }>`
    select count(*)::int as n from attempt_events e
    where not exists (select 1 from recharge_attempts a where a.id = e.attempt_id)`.execute(db)
  return result.rows[0]!.n
}
