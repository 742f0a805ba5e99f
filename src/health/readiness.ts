// Whether this instance should receive work: the database answers within a second, its schema
// is current, and the instance is not shutting down.
import type { DatabaseHandle } from '../db/connect.ts'
import { pendingMigrations } from '../db/migrate.ts'

/** One named check and what it found. */
export interface CheckResult {
  ok: boolean
  detail?: string
}

/** The readiness report /readyz serves. */
export interface ReadinessReport {
  ready: boolean
  checks: Record<string, CheckResult>
}

/** Readiness of this instance; `draining()` is called once shutdown starts. */
export interface Readiness {
  check(): Promise<ReadinessReport>
  draining(): void
}

const DB_TIMEOUT_MS = 1000

/** Create the readiness checker over the database handle. */
export function createReadiness(database: DatabaseHandle): Readiness {
  let isDraining = false
  let schemaCurrent = false

  async function checkDatabase(): Promise<CheckResult> {
    try {
      await withTimeout(database.ping(), DB_TIMEOUT_MS)
      return { ok: true }
    } catch (err) {
      return { ok: false, detail: `database not reachable: ${(err as Error).message}` }
    }
  }

  async function checkMigrations(): Promise<CheckResult> {
    // Once current, a schema stays current for the life of the process.
    if (schemaCurrent) return { ok: true }
    try {
      const pending = await withTimeout(pendingMigrations(database.db), DB_TIMEOUT_MS)
      if (pending.length === 0) {
        schemaCurrent = true
        return { ok: true }
      }
      return { ok: false, detail: `${pending.length} migration(s) pending: run npm run migrate` }
    } catch (err) {
      return { ok: false, detail: `cannot read migration state: ${(err as Error).message}` }
    }
  }

  return {
    async check() {
      const database = await checkDatabase()
      const migrations = database.ok ? await checkMigrations() : { ok: false, detail: 'database not reachable' }
      const shutdown = isDraining ? { ok: false, detail: 'shutting down' } : { ok: true }
      return { ready: database.ok && migrations.ok && shutdown.ok, checks: { database, migrations, shutdown } }
    },
    draining() {
      isDraining = true
    },
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
