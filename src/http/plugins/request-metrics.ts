// Request duration by route template (never by raw URL, which would explode label cardinality),
// and one debug line per request.
import type { FastifyInstance } from 'fastify'
import type { Metrics } from '../../metrics/metrics.ts'

/** Observe every response in gateway_http_request_duration_seconds and log it at debug level. */
export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  // Callback style: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    const elapsed = reply.elapsedTime
    metrics.httpRequests.observe({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) }, elapsed / 1000)
    request.log.debug({ method: request.method, route: request.routeOptions.url, status: reply.statusCode, ms: elapsed }, 'request completed')
    done()
  })
}
