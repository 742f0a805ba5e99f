// The soak's printed result: the invariants (held or VIOLATED, with evidence and the first
// problems), then the figures of every load and the chaos events.
import type { AccountingFigures } from './accounting-load.ts'
import type { ChaosEvent } from './chaos.ts'
import type { ForgedFigures } from './forged-radius.ts'
import type { Invariant } from './invariants.ts'
import type { PortalFigures } from './portal-load.ts'
import type { CardFigures, VoucherFigures } from './recharges.ts'

/** Everything the report shows. */
export interface SoakResult {
  minutes: number
  loadWallS: number
  drainS: number
  accounting: AccountingFigures
  forged: ForgedFigures
  portal: PortalFigures
  vouchers: VoucherFigures
  cards: CardFigures
  chaos: ChaosEvent[]
  invariants: Invariant[]
  figures: Record<string, number>
  coaSeen: number
  /** Warnings and errors the gateways logged, by message. */
  logTally: Map<string, number>
  out: string
}

const per = (n: number, s: number) => (s > 0 ? (n / s).toFixed(1) : '–')
const counts = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'

/** Print the report to stdout. */
export function printReport(r: SoakResult): void {
  const out = (line = '') => process.stdout.write(`${line}\n`)
  out()
  out(`══ soak result: ${r.minutes} min of load (${r.loadWallS.toFixed(0)} s wall), drain ${r.drainS.toFixed(0)} s`)
  out()
  out('invariants')
  for (const i of r.invariants) {
    out(`  ${i.held ? 'HELD    ' : 'VIOLATED'} ${i.name} — ${i.evidence}`)
    for (const p of i.problems) out(`             ${p.split('\n').join('\n             ')}`)
  }
  const a = r.accounting
  const p = r.portal
  const v = r.vouchers
  const c = r.cards
  const pages = Object.entries(p.byStatus).filter(([s]) => s.startsWith('2')).reduce((n, [, k]) => n + k, 0)
  const paid = [...c.orders.values()].filter((o) => o.fate === 'paid').length
  out()
  out('figures')
  out(`  accounting      ${a.acked} acks of ${a.sent} packets (${per(a.acked, a.wallMs / 1000)} acks/s), ${a.retransmits} retransmissions, ${a.lost} given up after 30 s, ${a.lateAnswers} late answers, ${a.badAnswers} bad answers`)
  out(`  portal          ${pages} pages (${per(pages, p.wallMs / 1000)} pages/s) of ${p.requests} requests; by status ${counts(p.byStatus)}; ${p.errors} connection errors`)
  out(`  vouchers        ${v.started} subscribers: ${v.submitted.length} answered with an attempt, ${v.refused} refused, ${v.failed} gave up; ${v.retries} retries`)
  out(`  cards           ${c.started} subscribers: ${c.orders.size} orders (${paid} paid, ${c.orders.size - paid} declined), ${c.failed} gave up; ${c.retries} retries`)
  out(`  webhooks        ${c.webhooksSent} sent, ${c.duplicates} of them duplicates/replays/stale; answers ${counts(c.webhookAnswers)}`)
  out(`  recharges       ${r.figures.paidAttempts} paid, ${r.figures.lifted} lifted, ${r.figures.flagged} flagged for support (of ${r.figures.attempts} attempts; ${r.figures.attemptsLeftCreated} left in created); ${r.coaSeen} CoA-Requests seen by the last NAS run`)
  out(`  forged RADIUS   ${r.forged.sent} sent, ${r.forged.answered} answered`)
  const byKind = r.chaos.reduce<Record<string, number>>((m, e) => ((m[e.kind] = (m[e.kind] ?? 0) + 1), m), {})
  out(`  chaos           ${r.chaos.filter((e) => e.ok).length} events done (${counts(byKind)})`)
  for (const e of r.chaos) out(`    ${e.atS.toFixed(0).padStart(4)} s  ${e.kind.padEnd(17)} ${e.ok ? '' : 'FAILED '}${e.detail} (${e.tookS.toFixed(1)} s)`)
  if (v.examples.length + c.examples.length > 0) {
    out('  client-side errors (first few; a request cut by a fault is expected, a lost or doubled credit is not)')
    for (const e of [...v.examples, ...c.examples]) out(`    ${e}`)
  }
  const logged = [...r.logTally].sort((x, y) => y[1] - x[1])
  out(`  gateway logs    ${r.out}/gateway-*.log; warnings and errors by message${logged.length === 0 ? ': none' : ''}`)
  for (const [message, n] of logged.slice(0, 15)) out(`    ${String(n).padStart(6)}  ${message}`)
  out()
  out(r.invariants.every((i) => i.held) ? 'SOAK PASSED: every invariant held' : 'SOAK FAILED: an invariant was violated')
}
