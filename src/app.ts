// Builds the Fastify app without listening: main.ts listens, tests use app.inject().
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config/load-config.ts'
import type { Readiness } from './health/readiness.ts'
import type { Identifier } from './identification/identify.ts'
import { registerErrorHandling } from './http/error-handler.ts'
import { registerRequestMetrics } from './http/plugins/request-metrics.ts'
import { registerSecurityHeaders } from './http/plugins/security-headers.ts'
import { registerViews } from './http/plugins/view.ts'
import { healthRoutes } from './http/routes/health.ts'
import { identifyRoutes } from './http/routes/identify.ts'
import { metricsRoutes } from './http/routes/metrics.ts'
import type { Metrics } from './metrics/metrics.ts'

/** What the app needs from the composition root. */
export interface AppDeps {
  config: Config
  log: Logger
  metrics: Metrics
  readiness: Readiness
  identifier: Identifier
}

/** Build the HTTP app with every route registered. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ part: 'http' }) as FastifyBaseLogger,
    // Never trust a client's request id or forwarded address: identity comes from the network.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    trustProxy: false,
    bodyLimit: 64 * 1024,
    // Per-request lines are debug-level (request-metrics.ts): the catch-all sees every packet of web traffic.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  })

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  registerSecurityHeaders(app)
  registerRequestMetrics(app, deps.metrics)
  await registerViews(app)
  registerErrorHandling(app, deps.metrics)

  healthRoutes(app, deps.readiness)
  metricsRoutes(app, deps.metrics)
  identifyRoutes(app, deps.identifier)
  return app
}
