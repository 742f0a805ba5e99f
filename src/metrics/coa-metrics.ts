// Outcomes of the CoA and Disconnect requests the gateway sends to lift suspensions, by NAS (its
// configured name, never anything from a packet) and by Error-Cause on a NAK. Error-Cause values
// outside RFC 5176's list are counted as "other", so a NAS cannot grow the label set.
import { Counter, type Registry } from 'prom-client'
import type { DynamicAuthorizationExchange } from '../radius/dynamic-authorization-client.ts'
import type { DropReason } from '../radius/errors.ts'
import { ErrorCause } from '../radius/values.ts'

const KNOWN_CAUSES = new Set<number>(Object.values(ErrorCause))

/** The CoA/Disconnect counters. */
export interface CoaMetrics {
  readonly responses: Counter<'nas' | 'kind' | 'outcome' | 'error_cause'>
  /** Count one finished exchange with NAS `nasName`. */
  record(nasName: string, exchange: Pick<DynamicAuthorizationExchange, 'kind' | 'outcome'>): void
  /**
   * Count one datagram the CoA client's socket received and did not take as an answer (forged,
   * for no request in flight, malformed): the client's `onIgnored`.
   */
  ignored(reason: DropReason): void
}

/** The error_cause label of an outcome: the RFC 5176 number, "none" or "other". */
export function errorCauseLabel(outcome: DynamicAuthorizationExchange['outcome']): string {
  if (outcome.kind !== 'nak') return ''
  if (outcome.errorCause === null) return 'none'
  return KNOWN_CAUSES.has(outcome.errorCause) ? String(outcome.errorCause) : 'other'
}

/** Register the CoA/Disconnect counters on `registry`. */
export function createCoaMetrics(registry: Registry): CoaMetrics {
  const responses = new Counter({
    name: 'gateway_coa_responses_total',
    help: 'CoA and Disconnect requests sent to lift suspensions, by NAS, kind and outcome (ack, nak, timeout); NAKs by Error-Cause',
    labelNames: ['nas', 'kind', 'outcome', 'error_cause'],
    registers: [registry],
  })
  const ignoredResponses = new Counter({
    name: 'gateway_coa_ignored_responses_total',
    help: 'Datagrams received on the CoA client socket and not taken as an answer (bad authenticator, no such request in flight, malformed), by reason',
    labelNames: ['reason'],
    registers: [registry],
  })
  return {
    responses,
    ignored(reason) {
      ignoredResponses.inc({ reason })
    },
    record(nasName, exchange) {
      responses.inc({ nas: nasName, kind: exchange.kind, outcome: exchange.outcome.kind, error_cause: errorCauseLabel(exchange.outcome) })
    },
  }
}
