// What must hold after the soak, checked in the database against what the outside world knows
// (the sandbox provider's orders, the vouchers, what the accounting load saw acknowledged, what
// the forged load saw answered). Each invariant is a name, whether it held, and the evidence.
import { type Kysely, sql } from 'kysely'
import type { Database } from '../../../src/db/schema.ts'
import { creditEntriesByAttempt, ledgerImbalances } from '../../../test/recharge/helpers/ledger-audit.ts'
import type { AccountingFigures } from './accounting-load.ts'
import type { ForgedFigures } from './forged-radius.ts'
import type { CardFigures, VoucherFigures } from './recharges.ts'

/** One checked invariant. */
export interface Invariant {
  name: string
  held: boolean
  evidence: string
  problems: string[]
}

/** What the invariants are checked against. */
export interface Observed {
  vouchers: VoucherFigures
  cards: CardFigures
  sandboxStatus: (orderId: string) => string | undefined
  accounting: AccountingFigures
  forged: ForgedFigures
  unexpectedExits: string[]
}

const STUCK_STATES = ['paid', 'credited', 'lifting'] as const

function invariant(name: string, problems: string[], evidence: string): Invariant {
  return { name, held: problems.length === 0, evidence, problems: problems.slice(0, 10) }
}

/** Check every invariant in the soak's database. */
export async function checkInvariants(db: Kysely<Database>, o: Observed): Promise<{ invariants: Invariant[]; figures: Record<string, number> }> {
  const attempts = await db.selectFrom('rechargeAttempts').select(['id', 'msisdn', 'method', 'state', 'paidAt', 'needsSupport', 'supportReason', 'providerOrderId']).execute()
  const byId = new Map(attempts.map((a) => [a.id, a]))
  const { byAttempt, other } = await creditEntriesByAttempt(db)
  const credits = (id: string) => byAttempt.get(id)?.length ?? 0

  // 1. Every paid attempt credited exactly once; nothing else credited.
  const once: string[] = []
  for (const a of attempts) {
    if (a.paidAt !== null && credits(a.id) !== 1) once.push(`attempt ${a.id} (${a.method}, ${a.state}) paid with ${credits(a.id)} credits`)
    if (a.paidAt === null && credits(a.id) > 0) once.push(`attempt ${a.id} (${a.method}, ${a.state}) not paid but has ${credits(a.id)} credits`)
  }
  for (const id of byAttempt.keys()) if (!byId.has(id)) once.push(`credit for unknown attempt ${id}`)
  const opening = other.filter((k) => !k.startsWith('opening:'))
  if (opening.length > 0) once.push(`credits with foreign keys: ${opening.slice(0, 3).join(', ')}`)
  let paidOrders = 0
  for (const [orderId, order] of o.cards.orders) {
    const status = o.sandboxStatus(orderId)
    const a = byId.get(order.attemptId)
    if (status === 'paid') paidOrders++
    if (status === 'paid' && credits(order.attemptId) !== 1 && !(a?.needsSupport ?? false)) once.push(`order ${orderId} paid at the provider, attempt ${order.attemptId} (${a?.state ?? 'missing'}) has ${credits(order.attemptId)} credits`)
    if (status !== 'paid' && credits(order.attemptId) !== 0) once.push(`order ${orderId} ${status} at the provider but credited ${credits(order.attemptId)}×`)
  }
  const vouchers = await db.selectFrom('vouchers').select(['serial', 'status', 'usedFor']).where('status', '=', 'used').execute()
  for (const v of vouchers) {
    if (v.usedFor === null || credits(v.usedFor) !== 1) once.push(`voucher ${v.serial} used by ${v.usedFor} with ${v.usedFor === null ? 0 : credits(v.usedFor)} credits`)
  }
  const perLine = await sql<{ msisdn: string; n: string }>`select msisdn, count(*) as n from ledger_entries where kind = 'credit' group by msisdn having count(*) > 1`.execute(db)
  for (const r of perLine.rows) once.push(`line ${r.msisdn} credited ${r.n}× (each line pays once in the soak)`)
  for (const id of o.vouchers.submitted) if (!byId.has(id)) once.push(`attempt ${id} answered 303 to the subscriber but not in the database`)
  const stuck = attempts.filter((a) => (STUCK_STATES as readonly string[]).includes(a.state) && !a.needsSupport)
  for (const a of stuck) once.push(`attempt ${a.id} (${a.method}) still ${a.state} after the drain`)
  const paidAttempts = attempts.filter((a) => a.paidAt !== null).length
  const inv1 = invariant('every paid attempt credited exactly once (ledger entries by idempotency key attempt:<id>)', once,
    `${paidAttempts} paid attempts (${vouchers.length} vouchers used, ${paidOrders} card orders paid at the provider), ${[...byAttempt.values()].reduce((n, l) => n + l.length, 0)} credit entries`)

  // 2. Every credit that restored a line ended lifted, or flagged for support.
  const restored = await sql<{ id: string; state: string; needsSupport: boolean; status: string }>`
    select a.id, a.state, a.needs_support as "needsSupport", l.status
    from recharge_attempts a join lines l on l.msisdn = a.msisdn
    where exists (select 1 from attempt_events e where e.attempt_id = a.id and e.kind = 'credited' and (e.detail::jsonb ->> 'restored')::boolean)`.execute(db)
  const lift: string[] = []
  let lifted = 0
  let flagged = 0
  for (const r of restored.rows) {
    if (r.state === 'lifted' || r.state === 'confirmed') lifted++
    else if (r.needsSupport) flagged++
    else lift.push(`attempt ${r.id} restored its line but is ${r.state}, not flagged`)
    if (r.status !== 'active') lift.push(`attempt ${r.id} restored its line but the line is ${r.status}`)
  }
  const inv2 = invariant('every credited restorable line lifted or flagged for support', lift, `${restored.rows.length} restoring credits: ${lifted} lifted, ${flagged} flagged`)

  // 3. The books balance.
  const imbalances = await ledgerImbalances(db)
  const lines = await db.selectFrom('lines').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow()
  const inv3 = invariant('ledger balanced (each line balance = sum of its ledger entries)', imbalances.map((i) => `line ${i.msisdn}: balance ${i.balanceMinor}, ledger ${i.ledgerMinor}`), `${lines.n} lines checked`)

  // 4. No forged packet accepted.
  const forgedRows = await sql<{ n: string }>`select count(*) as n from radius_sessions where acct_session_id like 'forged-%'`.execute(db)
  const forged: string[] = []
  if (o.forged.answered > 0) forged.push(`${o.forged.answered} forged packets answered`)
  if (Number(forgedRows.rows[0]!.n) > 0) forged.push(`${forgedRows.rows[0]!.n} forged sessions stored`)
  const inv4 = invariant('no forged RADIUS packet accepted', forged, `${o.forged.sent} forged sent, ${o.forged.answered} answered, ${forgedRows.rows[0]!.n} stored`)

  // 5. What the gateway acknowledged, it had stored.
  const sessions = await db.selectFrom('radiusSessions').select(['acctSessionId', 'stoppedAt']).where('acctSessionId', 'like', 'soak-%').execute()
  const stored = new Map(sessions.map((s) => [s.acctSessionId, s.stoppedAt]))
  const acct: string[] = []
  for (const id of o.accounting.ackedStarts) if (!stored.has(id)) acct.push(`Start of ${id} acknowledged, no session stored`)
  for (const id of o.accounting.ackedStops) if (!stored.has(id) || stored.get(id) === null) acct.push(`Stop of ${id} acknowledged, session ${stored.has(id) ? 'not stopped' : 'missing'}`)
  const inv5 = invariant('every acknowledged accounting Start/Stop stored', acct, `${o.accounting.ackedStarts.size} acknowledged Starts, ${o.accounting.ackedStops.size} Stops, ${sessions.length} soak sessions stored`)

  // 6. No process exit the soak did not cause.
  const inv6 = invariant('no process exit except the ones the soak caused', o.unexpectedExits, `${o.unexpectedExits.length} unexpected`)

  // 7. Jobs are delivered at least once, but a lift must take effect once: an attempt lifted twice
  // means a second CoA-Request (or Disconnect) went to the NAS. The soak makes no support retries.
  const doubleLifts = await sql<{ attemptId: string; timeline: string }>`
    select e.attempt_id as "attemptId", string_agg(e.kind || '@' || to_char(e.at, 'HH24:MI:SS.MS') || coalesce(' ' || (e.detail::jsonb ->> 'how'), ''), ' → ' order by e.id) as timeline
    from attempt_events e
    where e.attempt_id in (select attempt_id from attempt_events where kind = 'lifted' group by attempt_id having count(*) > 1)
      and e.kind in ('credited', 'lifting', 'radius', 'lifted', 'confirmed', 'failed')
    group by e.attempt_id`.execute(db)
  const inv7 = invariant('no attempt lifted twice (a re-run lift job sends no second CoA)', doubleLifts.rows.map((r) => `${r.attemptId}: ${r.timeline}`), `${doubleLifts.rows.length} attempts with more than one "lifted" event`)
  const created = attempts.filter((a) => a.state === 'created').length
  return {
    invariants: [inv1, inv2, inv7, inv3, inv4, inv5, inv6],
    figures: { paidAttempts, lifted, flagged, attemptsLeftCreated: created, attempts: attempts.length },
  }
}
