// Prometheus scrape endpoint, in the text exposition format.
import type { FastifyInstance } from 'fastify'
import type { Metrics } from '../../metrics/metrics.ts'

/** Register /metrics. */
export function metricsRoutes(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', async (_request, reply) => {
    reply.header('cache-control', 'no-store').type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}
