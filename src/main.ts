// The composition root: the only place that reads the environment (through loadConfig), wires
// the parts together and listens. Start-up problems end the process with one readable message.
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from './app.ts'
import { ConfigError } from './config/config-error.ts'
import { deriveKeys } from './config/keys.ts'
import { type Config, loadConfig } from './config/load-config.ts'
import { loadMasterSecret } from './db/app-secrets.ts'
import { DatabaseUnavailableError, type DatabaseHandle, openDatabase } from './db/connect.ts'
import { MigrationError, migrateToLatest, pendingMigrations } from './db/migrate.ts'
import { DEMO, demoBanner, seedDemo } from './db/seed-demo.ts'
import { expireAbandonedAttempts } from './db/attempts.ts'
import { type StandInNas, startStandInNas } from './demo/stand-in-nas.ts'
import { createReadiness, type Readiness } from './health/readiness.ts'
import { createBuiltInBilling } from './adapters/billing/built-in-billing.ts'
import { createAccountingHandlers } from './identification/accounting-records.ts'
import { createIdentifier } from './identification/identify.ts'
import { createSessionRecorder } from './identification/session-recorder.ts'
import { refreshNasDirectory, reloadNasDirectoryOnChange, startSessionUpkeep } from './identification/session-upkeep.ts'
import { createLogger } from './logging/logger.ts'
import { type AccountingServer, type AccountingServerOptions, startAccountingServer } from './radius/accounting-server.ts'
import { createNasDirectory } from './radius/nas-directory.ts'
import { createDynamicAuthorizationClient, type DynamicAuthorizationClient } from './radius/dynamic-authorization-client.ts'
import { createRadiusNetwork } from './adapters/network/radius-network.ts'
import { createLiftJob } from './jobs/lift-job.ts'
import { startConfirmSweep } from './jobs/confirm-sweep.ts'
import { createPspReconcileJob } from './jobs/psp-reconcile-job.ts'
import { createCreditJob } from './jobs/credit-job.ts'
import { createHttpOcs } from './adapters/billing/http-ocs.ts'
import { createHostedPsp } from './adapters/payment/hosted-psp.ts'
import { SANDBOX_MERCHANT } from './config/psp-config.ts'
import { type SandboxPsp, startSandboxPsp } from './sandbox/sandbox-psp.ts'
import { type JobWorker, startJobWorker } from './jobs/worker.ts'
import { createRadiusMetrics } from './radius/radius-metrics.ts'
import { createMetrics } from './metrics/metrics.ts'
import { createCoaMetrics } from './metrics/coa-metrics.ts'
import { createSettingsStore, type SettingsStore } from './settings/settings-store.ts'

/** A start-up failure whose message is the whole story for the operator. */
class StartupError extends Error {}

const EXPECTED = [ConfigError, DatabaseUnavailableError, MigrationError, StartupError]

async function start(): Promise<void> {
  const config = loadConfig(process.env)
  const log = createLogger(config.logLevel)
  const database = await openDatabase(config.database)
  let app: FastifyInstance | undefined
  let readiness: Readiness | undefined
  let radius: AccountingServer | undefined
  let jobs: JobWorker | undefined
  let coaClient: DynamicAuthorizationClient | undefined
  let standInNas: StandInNas | undefined
  let sandboxPsp: SandboxPsp | undefined
  let stopUpkeep = () => {}
  let stopConfirmSweep = async () => {}
  let settings: SettingsStore | undefined
  let stopping = false

  closeWithGrace({ delay: config.shutdownTimeoutMs, logger: false }, async ({ signal, err }) => {
    stopping = true
    if (err) log.fatal({ err }, 'unexpected error; shutting down')
    else log.info({ signal }, 'shutting down: draining requests')
    readiness?.draining()
    // Behind a load balancer: keep serving while /readyz says 503, until the balancer has stopped
    // sending new connections here; closing a listener resets connections still in its backlog.
    if (config.shutdownDrainMs > 0 && app !== undefined) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs))
    stopUpkeep()
    settings?.stop()
    // Both drain together: in-flight accounting is answered once stored, HTTP requests finish.
    const grace = (config.shutdownTimeoutMs - config.shutdownDrainMs) / 2
    await Promise.all([app?.close(), radius?.close(grace), jobs?.stop(grace), stopConfirmSweep()])
    await coaClient?.close()
    await standInNas?.close()
    await sandboxPsp?.close()
    await database.close()
    log.info('stopped')
  })

  try {
    await prepareSchema(config, database, log, () => stopping)
    if (stopping) return
    const keys = deriveKeys(await loadMasterSecret(database.db, config.appSecret))
    if (config.seedDemo) {
      await seedDemo(database.db, keys.voucherPin)
      standInNas = await startStandInNas(DEMO.nas.coaHost, DEMO.nas.coaPort, DEMO.nas.secret, log.child({ part: 'demo-nas' }))
    }

    const metrics = createMetrics()
    readiness = createReadiness(database)
    const sessionMaxAgeMs = config.sessions.interimIntervalS * config.sessions.expiryFactor * 1000
    // Operator settings (database) over the environment's defaults, re-read within a second of a change.
    const live = await createSettingsStore({
      db: database.db,
      base: config,
      context: { cardAvailable: config.psp !== null, envTrustedProxies: config.identification.trustedProxies },
      log: log.child({ part: 'settings' }),
    })
    settings = live
    const identifier = createIdentifier({
      db: database.db,
      config: () => live.current().identification,
      redirectTokenKey: keys.redirectToken,
      sessionMaxAgeMs,
      ledgerInDatabase: config.billing.kind === 'built-in',
    })
    const ocs = config.billing.kind === 'ocs' ? createHttpOcs(config.billing) : null
    const billing = ocs ?? createBuiltInBilling(database.db)
    const directory = createNasDirectory()
    await refreshNasDirectory(database.db, directory)
    reloadNasDirectoryOnChange(live, database.db, directory, log)
    if (config.psp?.sandboxPort != null) sandboxPsp = await startSandbox(config.psp.sandboxPort, log)
    const psp = config.psp === null ? null : createHostedPsp(config.psp)
    const coaMetrics = createCoaMetrics(metrics.registry)
    coaClient = await createDynamicAuthorizationClient({ onIgnored: (reason) => coaMetrics.ignored(reason) })
    const network = createRadiusNetwork({ directory, client: coaClient, metrics: coaMetrics })
    jobs = startJobWorker({
      db: database.jobs,
      concurrency: config.jobs.concurrency,
      leaseMs: config.jobs.leaseMs,
      log: log.child({ part: 'jobs' }),
      handlers: {
        lift: createLiftJob({ db: database.jobs, network }),
        ...(psp === null ? {} : { 'psp-reconcile': createPspReconcileJob({ db: database.jobs, psp, creditMode: config.billing.kind, onCredited: () => jobs?.nudge() }) }),
        ...(ocs === null ? {} : { credit: createCreditJob({ db: database.jobs, ocs, onCredited: () => jobs?.nudge() }) }),
      },
    })
    const worker = jobs
    stopConfirmSweep = startConfirmSweep({ db: database.jobs, log: log.child({ part: 'jobs' }) })
    const abandoned = setInterval(() => {
      void expireAbandonedAttempts(database.db, new Date(Date.now() - 60 * 60 * 1000)).catch(() => {})
    }, 5 * 60 * 1000)
    abandoned.unref()
    app = await buildApp({ config, log, metrics, readiness, identifier, keys, billing, db: database.db, jobsDb: database.jobs, nudgeJobs: () => worker.nudge(), psp, network, settings: live })
    await listen(app, config)

    stopUpkeep = startSessionUpkeep({ db: database.db, directory, log, nasRefreshMs: config.sessions.nasRefreshMs, sessionMaxAgeMs })
    // An unchanged Interim-Update moves last_seen_at at most every half interval: expiry stays exact to
    // within half an interval, and most interims cost no write at all.
    const recorder = createSessionRecorder(database.db, {
      touchAfterMs: (config.sessions.interimIntervalS * 1000) / 2,
    })
    // As many Interim mappings remembered as the recorder remembers sessions (100,000).
    const accounting = createAccountingHandlers(recorder, config.identification.countryCode, 100_000)
    radius = await listenRadius(config, {
      directory,
      handle: accounting.handle,
      quick: accounting.quick,
      log: log.child({ part: 'radius' }),
      metrics: createRadiusMetrics(metrics.registry),
    })
    log.info({ address: radius.address() }, 'RADIUS accounting listening')
    if (config.seedDemo) process.stdout.write(`${demoBanner(config.radiusAcctPort, config.portal.url)}\n`)
  } catch (err) {
    if (stopping) return
    stopUpkeep()
    settings?.stop()
    await app?.close().catch(() => {})
    await radius?.close(0).catch(() => {})
    await jobs?.stop(0).catch(() => {})
    await stopConfirmSweep().catch(() => {})
    await coaClient?.close().catch(() => {})
    await standInNas?.close().catch(() => {})
    await sandboxPsp?.close().catch(() => {})
    await database.close().catch(() => {})
    throw err
  }
}

const SCHEMA_POLL_MS = 2000

// The embedded default migrates itself. A server database is migrated by the operator
// (`npm run migrate`, typically with an owner role the gateway does not run as): until then the
// gateway waits, saying so, instead of running against a schema it does not know.
async function prepareSchema(config: Config, database: DatabaseHandle, log: Logger, stopping: () => boolean) {
  if (config.migrateOnStart) {
    const applied = await migrateToLatest(database.db)
    if (applied.length > 0) log.info({ applied }, 'migrations applied')
    return
  }
  let lastWarned = 0
  while (!stopping()) {
    const pending = await pendingMigrations(database.db)
    if (pending.length === 0) return
    if (Date.now() - lastWarned > 30_000) {
      log.warn({ pending }, 'database schema is behind: run `npm run migrate`; waiting for it')
      lastWarned = Date.now()
    }
    await new Promise((resolve) => setTimeout(resolve, SCHEMA_POLL_MS))
  }
}

async function startSandbox(port: number, log: Logger): Promise<SandboxPsp | undefined> {
  try {
    const sandbox = await startSandboxPsp(SANDBOX_MERCHANT, '127.0.0.1', port)
    log.info({ url: sandbox.url }, 'sandbox payment provider listening (demo card payments)')
    return sandbox
  } catch (err) {
    log.warn({ err: (err as Error).message, port }, 'sandbox payment provider not started; card payments will fail (set PSP_SANDBOX_PORT)')
    return undefined
  }
}

async function listenRadius(config: Config, options: Omit<AccountingServerOptions, 'host' | 'port'>): Promise<AccountingServer> {
  try {
    return await startAccountingServer({ ...options, host: config.radiusHost, port: config.radiusAcctPort })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const where = `${config.radiusHost}:${config.radiusAcctPort}/udp`
    if (code === 'EADDRINUSE') throw new StartupError(`RADIUS accounting port ${where} is already in use (set RADIUS_ACCT_PORT)`)
    if (code === 'EACCES') throw new StartupError(`not allowed to listen on ${where} (set RADIUS_ACCT_PORT above 1023)`)
    if (code === 'EADDRNOTAVAIL') throw new StartupError(`RADIUS_HOST ${config.radiusHost} is not an address of this machine`)
    throw err
  }
}

async function listen(app: FastifyInstance, config: Config): Promise<void> {
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE') throw new StartupError(`HTTP port ${config.host}:${config.port} is already in use (set PORT)`)
    if (code === 'EACCES') throw new StartupError(`not allowed to listen on ${config.host}:${config.port} (set PORT above 1023)`)
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new StartupError(`HOST ${config.host} is not an address of this machine`)
    throw err
  }
}

start().catch((err: unknown) => {
  const expected = EXPECTED.some((kind) => err instanceof kind)
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(`recharge-gateway: cannot start: ${expected ? message : `unexpected error: ${message}`}\n`)
  process.exit(err instanceof ConfigError ? 2 : 1)
})
