// Builds the Fastify app without listening: main.ts listens, tests use app.inject().
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config/load-config.ts'
import type { Readiness } from './health/readiness.ts'
import type { Identifier } from './identification/identify.ts'
import type { Keys } from './config/keys.ts'
import type { BillingPort } from './recharge/ports.ts'
import compress from '@fastify/compress'
import formbody from '@fastify/formbody'
import rateLimit from '@fastify/rate-limit'
import type { Kysely } from 'kysely'
import type { Database } from './db/schema.ts'
import { rechargeRoutes } from './http/routes/recharge.ts'
import { cardPaymentRoutes } from './http/routes/card-payment.ts'
import type { HostedPsp } from './adapters/payment/hosted-psp.ts'
import { captiveApiRoutes } from './http/routes/captive-api.ts'
import { portalRoutes } from './http/routes/portal.ts'
import { createPortalLocator, hostName, registerWalledGarden } from './http/walled-garden/walled-garden.ts'
import { requestFacts } from './http/request-facts.ts'
import { registerErrorHandling } from './http/error-handler.ts'
import { registerRequestMetrics } from './http/plugins/request-metrics.ts'
import { registerSecurityHeaders, SECURITY_HEADERS } from './http/plugins/security-headers.ts'
import { registerClosingRefusal, registerLoadShedding } from './http/plugins/load-shedding.ts'
import { ERRORS } from './errors.ts'
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
  keys: Keys
  billing: BillingPort
  db: Kysely<Database>
  /** Tell the job worker there is work (after a credit that needs the network). */
  nudgeJobs: () => void
  /** The hosted payment provider, when card payments are on. */
  psp: HostedPsp | null
}

/** Build the HTTP app with every route registered. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const locatePortal = createPortalLocator({ portal: deps.config.portal, keys: deps.keys, identifier: deps.identifier })
  const app = Fastify({
    loggerInstance: deps.log.child({ part: 'http' }) as FastifyBaseLogger,
    // Never trust a client's request id or forwarded address: identity comes from the network.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    trustProxy: false,
    bodyLimit: 64 * 1024,
    // Per-request lines are debug-level (request-metrics.ts): the catch-all sees every packet of web traffic.
    logController: new LogController({ disableRequestLogging: true }),
    // Refused by registerClosingRefusal instead, with the security headers.
    return503OnClosing: false,
    // A path Fastify cannot decode never reaches the hooks: give it the same headers, and on a
    // foreign host the same portal redirect (without the original URL, which cannot be carried).
    frameworkErrors: (_error, request, raw) => {
      const reply = raw as unknown as FastifyReply
      reply.headers(SECURITY_HEADERS).header('cache-control', 'no-store')
      const host = hostName(request.headers.host)
      if (host === undefined || !deps.config.portal.ownHosts.includes(host)) {
        return reply.code(302).header('location', locatePortal(request as unknown as FastifyRequest, false)).send()
      }
      return reply.code(400).type('application/json; charset=utf-8').send({ error: ERRORS.BAD_REQUEST.code, message: ERRORS.BAD_REQUEST.message, requestId: request.id })
    },
    forceCloseConnections: 'idle',
  })

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  registerSecurityHeaders(app)
  registerClosingRefusal(app, deps.config.shedding.retryAfterS)
  registerRequestMetrics(app, deps.metrics)
  // Before everything else that does work: a foreign Host is caught here.
  registerWalledGarden(app, { portal: deps.config.portal, keys: deps.keys, identifier: deps.identifier, billing: deps.billing, registry: deps.metrics.registry })
  // After the walled garden (the catch-all is never shed), before anything that costs work.
  await registerLoadShedding(app, { shedding: deps.config.shedding, portal: deps.config.portal, registry: deps.metrics.registry })
  await app.register(compress, { global: true, threshold: 1024, encodings: ['br', 'gzip', 'deflate'] })
  await app.register(formbody, { bodyLimit: 16 * 1024 })
  // Per subscriber address (through trusted proxies), never per proxy.
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (request) => deps.identifier.locate(requestFacts(request)).address,
  })
  await registerViews(app)
  registerErrorHandling(app, deps.metrics)

  healthRoutes(app, deps.readiness)
  metricsRoutes(app, deps.metrics)
  identifyRoutes(app, deps.identifier)
  captiveApiRoutes(app, { portal: deps.config.portal, identifier: deps.identifier, billing: deps.billing })
  portalRoutes(app, { portal: deps.config.portal, keys: deps.keys, identifier: deps.identifier, billing: deps.billing, paymentOrigin: deps.psp?.origin ?? null })
  rechargeRoutes(app, {
    db: deps.db,
    portal: deps.config.portal,
    keys: deps.keys,
    identifier: deps.identifier,
    billing: deps.billing,
    countryCode: deps.config.identification.countryCode,
    nudgeJobs: deps.nudgeJobs,
    creditMode: deps.config.billing.kind,
  })
  if (deps.psp !== null && deps.config.psp !== null) {
    cardPaymentRoutes(app, {
      db: deps.db,
      psp: deps.psp,
      notifyUrl: deps.config.psp.notifyUrl,
      portal: deps.config.portal,
      keys: deps.keys,
      identifier: deps.identifier,
      countryCode: deps.config.identification.countryCode,
      registry: deps.metrics.registry,
      nudgeJobs: deps.nudgeJobs,
      creditMode: deps.config.billing.kind,
    })
  }
  return app
}
