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
import { demoBanner, seedDemo } from './db/seed-demo.ts'
import { createReadiness, type Readiness } from './health/readiness.ts'
import { createLogger } from './logging/logger.ts'
import { createMetrics } from './metrics/metrics.ts'

/** A start-up failure whose message is the whole story for the operator. */
class StartupError extends Error {}

const EXPECTED = [ConfigError, DatabaseUnavailableError, MigrationError, StartupError]

async function start(): Promise<void> {
  const config = loadConfig(process.env)
  const log = createLogger(config.logLevel)
  const database = await openDatabase(config.database)
  let app: FastifyInstance | undefined
  let readiness: Readiness | undefined
  let stopping = false

  closeWithGrace({ delay: config.shutdownTimeoutMs, logger: false }, async ({ signal, err }) => {
    stopping = true
    if (err) log.fatal({ err }, 'unexpected error; shutting down')
    else log.info({ signal }, 'shutting down: draining requests')
    readiness?.draining()
    await app?.close()
    await database.close()
    log.info('stopped')
  })

  try {
    await prepareSchema(config, database, log, () => stopping)
    if (stopping) return
    const keys = deriveKeys(await loadMasterSecret(database.db, config.appSecret))
    if (config.seedDemo) await seedDemo(database.db, keys.voucherPin)

    const metrics = createMetrics()
    readiness = createReadiness(database)
    app = await buildApp({ config, log, metrics, readiness })
    await listen(app, config)
    if (config.seedDemo) process.stdout.write(`${demoBanner(config.radiusAcctPort)}\n`)
  } catch (err) {
    if (stopping) return
    await app?.close().catch(() => {})
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
