// Builds the real app (no listening) over a test database, for app.inject().
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import type { DatabaseHandle } from '../../src/db/connect.ts'
import { createReadiness, type Readiness } from '../../src/health/readiness.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createMetrics, type Metrics } from '../../src/metrics/metrics.ts'

/** An app under test and the services it was built with. */
export interface TestApp {
  app: FastifyInstance
  metrics: Metrics
  readiness: Readiness
}

/** Build the app over `database` with default configuration and a silent logger. */
export async function buildTestApp(database: DatabaseHandle, env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ DATA_DIR: 'memory', LOG_LEVEL: 'silent', ...env })
  const metrics = createMetrics()
  const readiness = createReadiness(database)
  const app = await buildApp({ config, log: createLogger(config.logLevel), metrics, readiness })
  await app.ready()
  return { app, metrics, readiness }
}
