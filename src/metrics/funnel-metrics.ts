// The recharge funnel: portal views (identified or not), attempts by payment method, and every
// change of an attempt's state by method. Redirects into the funnel are the walled garden's own
// gateway_walled_garden_requests_total. Transitions are counted where attempts change state
// (src/db/attempts.ts), after commit, so a rolled-back change is never counted.
import { Counter, type Registry } from 'prom-client'
import type { AttemptObserver } from '../db/attempts.ts'

/** How a portal view was identified: from the network, not at all, or not known (database down). */
export type PortalIdentification = 'identified' | 'unidentified' | 'unavailable'

/** The funnel's counters. */
export interface FunnelMetrics {
  readonly portalViews: Counter<'identification'>
  readonly attempts: Counter<'method'>
  readonly transitions: Counter<'method' | 'state'>
  /** Feeds attempts and transitions (for observeAttempts). */
  readonly observer: AttemptObserver
}

/** Register the funnel's counters on `registry`. */
export function createFunnelMetrics(registry: Registry): FunnelMetrics {
  const portalViews = new Counter({
    name: 'gateway_portal_views_total',
    help: 'Portal pages served, by whether the line was identified from the network (unavailable: the database could not say)',
    labelNames: ['identification'],
    registers: [registry],
  })
  const attempts = new Counter({
    name: 'gateway_recharge_attempts_total',
    help: 'Recharge attempts started, by payment method',
    labelNames: ['method'],
    registers: [registry],
  })
  const transitions = new Counter({
    name: 'gateway_recharge_transitions_total',
    help: 'Recharge attempts entering a state (paid, credited, lifting, lifted, confirmed, declined, failed, refunded, expired), by payment method',
    labelNames: ['method', 'state'],
    registers: [registry],
  })
  // Zero series from the start, so rates and ratios exist before the first recharge.
  for (const identification of ['identified', 'unidentified', 'unavailable']) portalViews.inc({ identification }, 0)
  for (const method of ['voucher', 'card']) {
    attempts.inc({ method }, 0)
    for (const state of ['paid', 'credited', 'lifted', 'confirmed', 'failed']) transitions.inc({ method, state }, 0)
  }
  return {
    portalViews,
    attempts,
    transitions,
    observer: {
      created: (method) => attempts.inc({ method }),
      moved: (method, state, count = 1) => transitions.inc({ method, state }, count),
    },
  }
}
