// The accounting stack as main.ts wires it (directory → UDP server → handler → group-committed
// recorder → database), in-process on a random loopback port, for tests.
import type { Kysely } from 'kysely'
import { Registry } from 'prom-client'
import type { Database } from '../../src/db/schema.ts'
import { createAccountingHandlers } from '../../src/identification/accounting-records.ts'
import { createSessionRecorder, type SessionRecorder } from '../../src/identification/session-recorder.ts'
import { refreshNasDirectory } from '../../src/identification/session-upkeep.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { type AccountingServer, startAccountingServer } from '../../src/radius/accounting-server.ts'
import { createNasDirectory, type NasDirectory } from '../../src/radius/nas-directory.ts'
import { createRadiusMetrics, type RadiusMetrics } from '../../src/radius/radius-metrics.ts'

/** A running accounting stack. */
export interface AccountingStack {
  server: AccountingServer
  port: number
  recorder: SessionRecorder
  directory: NasDirectory
  metrics: RadiusMetrics
  registry: Registry
  /** The value of a labelled counter, 0 when never incremented. */
  count(metric: 'drops' | 'requests' | 'duplicates', labels: Record<string, string>): Promise<number>
  close(): Promise<void>
}

/** Start the stack over `db` with the NAS clients stored there. */
export async function startAccountingStack(db: Kysely<Database>, options: { touchAfterMs?: number } = {}): Promise<AccountingStack> {
  const directory = createNasDirectory()
  await refreshNasDirectory(db, directory)
  const registry = new Registry()
  const metrics = createRadiusMetrics(registry)
  const recorder = createSessionRecorder(db, { touchAfterMs: options.touchAfterMs ?? 150_000 })
  const accounting = createAccountingHandlers(recorder, '86', 10_000)
  const server = await startAccountingServer({
    host: '127.0.0.1',
    port: 0,
    directory,
    handle: accounting.handle,
    quick: accounting.quick,
    log: createLogger('silent'),
    metrics,
  })
  return {
    server,
    port: server.address().port,
    recorder,
    directory,
    metrics,
    registry,
    async count(metric, labels) {
      const data = await metrics[metric].get()
      const match = data.values.find((v) => Object.entries(labels).every(([k, value]) => (v.labels as Record<string, unknown>)[k] === value))
      return match?.value ?? 0
    },
    close: () => server.close(1000),
  }
}
