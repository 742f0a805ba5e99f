// Builds the Fastify app without listening: main.ts listens, tests use app.inject().
import { randomUUID } from 'node:crypto'
import http from 'node:http'
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
import { createWalledGarden, hostName } from './http/walled-garden/walled-garden.ts'
import { createPortalLocator } from './http/walled-garden/portal-locator.ts'
import { requestFacts } from './http/request-facts.ts'
import { registerErrorHandling } from './http/error-handler.ts'
import { registerRequestMetrics } from './http/plugins/request-metrics.ts'
import { lazyRequestLogger } from './http/plugins/request-logger.ts'
import { registerSecurityHeaders, SECURITY_HEADERS } from './http/plugins/security-headers.ts'
import { registerClosingRefusal, registerLoadShedding } from './http/plugins/load-shedding.ts'
import { ERRORS } from './errors.ts'
import { registerViews } from './http/plugins/view.ts'
import { healthRoutes } from './http/routes/health.ts'
import { identifyRoutes } from './http/routes/identify.ts'
import { metricsRoutes } from './http/routes/metrics.ts'
import type { Metrics } from './metrics/metrics.ts'
import { createFunnelMetrics } from './metrics/funnel-metrics.ts'
import { registerJobQueueMetrics } from './metrics/job-queue-metrics.ts'
import { observeAttempts } from './db/attempts.ts'
import { fixedSettings, type SettingsStore } from './settings/settings-store.ts'
import type { NetworkPort } from './recharge/ports.ts'
import { registerRouteAccessCheck } from './http/staff/route-access.ts'
import { registerStaffArea } from './http/staff/staff-area.ts'

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
  /** The job worker's connections, when it has its own (the funnel counts its transitions too). */
  jobsDb?: Kysely<Database>
  /** Tell the job worker there is work (after a credit that needs the network). */
  nudgeJobs: () => void
  /** The hosted payment provider, when card payments are on. */
  psp: HostedPsp | null
  /** The operator settings in force, kept current (absent: the environment's, fixed). */
  settings?: SettingsStore
  /** The network adapter, for support's force Disconnect (null: the console says it is unavailable). */
  network?: NetworkPort | null
}

/** Build the HTTP app with every route registered. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const settings = deps.settings ?? fixedSettings(deps.config)
  const portal = () => settings.current().portal
  const locatePortal = createPortalLocator({ portal: deps.config.portal, keys: deps.keys, identifier: deps.identifier })
  const garden = createWalledGarden({ portal: deps.config.portal, keys: deps.keys, identifier: deps.identifier, billing: deps.billing, registry: deps.metrics.registry })
  const funnel = createFunnelMetrics(deps.metrics.registry)
  registerJobQueueMetrics(deps.metrics.registry, deps.db)
  const app = Fastify({
    // A request for a foreign host is answered before Fastify sees it (no routing, hooks,
    // per-request logger or load shedding): the catch-all stays cheap and answered under any load.
    serverFactory: (handler, options) => {
      const server = http.createServer((req, res) => {
        if (!garden.catchAll(req, res)) handler(req, res)
      })
      server.keepAliveTimeout = options.keepAliveTimeout as number
      server.requestTimeout = options.requestTimeout as number
      server.setTimeout(options.connectionTimeout as number)
      return server
    },
    loggerInstance: deps.log.child({ part: 'http' }) as FastifyBaseLogger,
    // Never trust a client's request id or forwarded address: identity comes from the network.
    genReqId: () => randomUUID(),
    // A request's pino child is made only if the request logs (request-logger.ts).
    childLoggerFactory: lazyRequestLogger,
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

  // The job worker may write attempts through connections of its own (DatabaseHandle.jobs).
  const observed = [deps.db, ...(deps.jobsDb !== undefined && deps.jobsDb !== deps.db ? [deps.jobsDb] : [])]
  const stopObserving = observed.map((db) => observeAttempts(db, funnel.observer))
  app.addHook('onClose', async () => stopObserving.forEach((stop) => stop()))
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
  })
  // Before any route: a console or admin API route that declares no permission fails the build.
  registerRouteAccessCheck(app)
  registerSecurityHeaders(app)
  registerClosingRefusal(app, deps.config.shedding.retryAfterS)
  registerRequestMetrics(app, deps.metrics)
  // Before everything else that does work: captive probes (and, under app.inject, every foreign Host).
  garden.register(app)
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
  portalRoutes(app, { portal, keys: deps.keys, identifier: deps.identifier, billing: deps.billing, paymentOrigin: deps.psp?.origin ?? null, funnel })
  rechargeRoutes(app, {
    db: deps.db,
    portal,
    keys: deps.keys,
    identifier: deps.identifier,
    billing: deps.billing,
    countryCode: deps.config.identification.countryCode,
    nudgeJobs: deps.nudgeJobs,
    creditMode: deps.config.billing.kind,
  })
  await registerStaffArea(app, {
    db: deps.db,
    secureCookies: deps.config.portal.url.startsWith('https:'),
    clientAddress: (request) => deps.identifier.locate(requestFacts(request)).address,
    network: deps.network ?? null,
    nudgeJobs: deps.nudgeJobs,
    operator: { db: deps.db, settings, paymentUrl: deps.psp === null ? null : (deps.config.psp?.url ?? null) },
    totpKey: deps.keys.staffTotp,
  })
  if (deps.psp !== null && deps.config.psp !== null) {
    cardPaymentRoutes(app, {
      db: deps.db,
      psp: deps.psp,
      notifyUrl: deps.config.psp.notifyUrl,
      portal,
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
