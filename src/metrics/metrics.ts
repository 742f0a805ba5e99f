// One Prometheus registry per process (per app in tests), with Node's process metrics. Parts
// register their own counters on it through the factories they are handed.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client'

/** The registry and the metrics every part shares. */
export interface Metrics {
  readonly registry: Registry
  readonly httpRequests: Histogram<'route' | 'method' | 'status'>
  readonly httpErrors: Counter<'code'>
}

/** Create a registry with process metrics and the HTTP metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'gateway_' })
  return {
    registry,
    httpRequests: new Histogram({
      name: 'gateway_http_request_duration_seconds',
      help: 'HTTP request duration by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    httpErrors: new Counter({
      name: 'gateway_http_errors_total',
      help: 'Error responses by error code',
      labelNames: ['code'],
      registers: [registry],
    }),
  }
}
