// Builds the real app (no listening) over a test database, for app.inject().
import type { FastifyInstance } from 'fastify'
import { createBuiltInBilling } from '../../src/adapters/billing/built-in-billing.ts'
import { createHttpOcs } from '../../src/adapters/billing/http-ocs.ts'
import type { HostedPsp } from '../../src/adapters/payment/hosted-psp.ts'
import { buildApp } from '../../src/app.ts'
import { deriveKeys } from '../../src/config/keys.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { createIdentifier } from '../../src/identification/identify.ts'
import type { DatabaseHandle } from '../../src/db/connect.ts'
import { createReadiness, type Readiness } from '../../src/health/readiness.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createMetrics, type Metrics } from '../../src/metrics/metrics.ts'
import { createSettingsStore, fixedSettings, type SettingsStore } from '../../src/settings/settings-store.ts'
import type { NetworkPort } from '../../src/recharge/ports.ts'

/** An app under test and the services it was built with. */
export interface TestApp {
  app: FastifyInstance
  metrics: Metrics
  readiness: Readiness
  /** The keys the app's identifier uses (to sign redirect tokens in tests). */
  keys: ReturnType<typeof deriveKeys>
  /** The operator settings the app reads (polling the test database; stopped when the app closes). */
  settings: SettingsStore
}

/** Build the app over `database` with default configuration and a silent logger. */
export async function buildTestApp(database: DatabaseHandle, env: Record<string, string> = {}, options: { psp?: HostedPsp; network?: NetworkPort } = {}): Promise<TestApp> {
  // Card payments only when the test hands in a provider (the sandbox is not running otherwise).
  // Load shedding off unless a test turns it on: a busy test machine (or PGlite's start-up blocking
  // the event loop) would otherwise shed the requests a test makes; test/http/load-shedding.test.ts covers it.
  const noShedding = { LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0', LOAD_SHED_MAX_IN_FLIGHT: '0' }
  const config = loadConfig({ DATA_DIR: 'memory', LOG_LEVEL: 'silent', PAYMENT_METHODS: options.psp ? 'voucher,card' : 'voucher', ...noShedding, ...env })
  const metrics = createMetrics()
  const readiness = createReadiness(database)
  const keys = deriveKeys('test-master-secret-test-master-secret')
  const log = createLogger(config.logLevel)
  // A database without the schema (or already closed) holds no settings: the environment's apply.
  const settings = await createSettingsStore({
    db: database.db,
    base: config,
    context: { cardAvailable: options.psp !== undefined, envTrustedProxies: config.identification.trustedProxies },
    log,
  }).catch(() => fixedSettings(config))
  const identifier = createIdentifier({
    db: database.db,
    config: () => settings.current().identification,
    redirectTokenKey: keys.redirectToken,
    sessionMaxAgeMs: config.sessions.interimIntervalS * config.sessions.expiryFactor * 1000,
    ledgerInDatabase: config.billing.kind === 'built-in',
  })
  const billing = config.billing.kind === 'ocs' ? createHttpOcs(config.billing) : createBuiltInBilling(database.db)
  const app = await buildApp({ config, log, metrics, readiness, identifier, keys, billing, db: database.db, nudgeJobs: () => {}, psp: options.psp ?? null, network: options.network ?? null, settings })
  app.addHook('onClose', async () => settings.stop())
  await app.ready()
  return { app, metrics, readiness, keys, settings }
}
