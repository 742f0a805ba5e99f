// Counters of the RADIUS layer. Every dropped packet is counted by reason (metric labels are the
// stable reason strings of errors.ts plus the server's own).
import { Counter, Histogram, type Registry } from 'prom-client'

/** The RADIUS layer's metrics. */
export interface RadiusMetrics {
  readonly drops: Counter<'reason'>
  readonly requests: Counter<'status_type' | 'outcome'>
  readonly duplicates: Counter<'kind'>
  readonly ackSeconds: Histogram
}

/** Register the RADIUS metrics on `registry`. */
export function createRadiusMetrics(registry: Registry): RadiusMetrics {
  return {
    drops: new Counter({
      name: 'gateway_radius_accounting_drops_total',
      help: 'Accounting datagrams dropped without an answer, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'gateway_radius_accounting_requests_total',
      help: 'Verified Accounting-Requests by status type and what storing them did',
      labelNames: ['status_type', 'outcome'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'gateway_radius_accounting_duplicates_total',
      help: 'Retransmissions (same source, Identifier and authenticator): answered again or ignored while in flight',
      labelNames: ['kind'],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'gateway_radius_accounting_ack_seconds',
      help: 'Time from receiving an Accounting-Request to sending its Accounting-Response',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  }
}
