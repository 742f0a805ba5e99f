// Background upkeep for identification: re-read NAS clients so a new or changed NAS is accepted
// without a restart, and mark sessions that stopped reporting as expired. Both are idempotent, so
// every instance may run them.
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { listNasClients } from '../db/nas-clients.ts'
import type { Database, NasClient } from '../db/schema.ts'
import { expireSessions } from '../db/sessions.ts'
import type { NasDirectory, NasEntry } from '../radius/nas-directory.ts'

/** The RADIUS layer's view of a NAS client row. */
export function toNasEntry(row: NasClient): NasEntry {
  return {
    id: row.id,
    name: row.name,
    realm: row.realm,
    address: row.address,
    secret: Buffer.from(row.secret, 'utf8'),
    requireMessageAuthenticator: row.requireMessageAuthenticator,
    coaHost: row.coaHost,
    coaPort: row.coaPort,
    liftProfile: row.liftProfile,
    coaAttributes: Array.isArray(row.coaAttributes) ? row.coaAttributes : [],
  }
}

/** Load NAS clients into `directory` now. */
export async function refreshNasDirectory(db: Kysely<Database>, directory: NasDirectory): Promise<void> {
  directory.replace((await listNasClients(db)).map(toNasEntry))
}

/**
 * Reload `directory` whenever the settings revision moves (every NAS client change bumps it), so
 * a NAS added or changed on one instance is used by all within a second, not a refresh period.
 */
export function reloadNasDirectoryOnChange(settings: { onChange(listener: () => void): void }, db: Kysely<Database>, directory: NasDirectory, log: Logger): void {
  settings.onChange(() => {
    refreshNasDirectory(db, directory).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'cannot reload NAS clients after a change; the periodic refresh will'))
  })
}

/** Start the timers; returns a function that stops them. */
export function startSessionUpkeep(options: {
  db: Kysely<Database>
  directory: NasDirectory
  log: Logger
  nasRefreshMs: number
  sessionMaxAgeMs: number
}): () => void {
  const { db, directory, log } = options
  let failing = false
  const refresh = setInterval(() => {
    refreshNasDirectory(db, directory).then(
      () => {
        if (failing) log.info('NAS client list reloaded')
        failing = false
      },
      (err: unknown) => {
        // Keep serving with the list we have; say so once per outage.
        if (!failing) log.warn({ err: (err as Error).message }, 'cannot reload NAS clients; keeping the current list')
        failing = true
      },
    )
  }, options.nasRefreshMs)
  const sweepEveryMs = Math.min(60_000, options.sessionMaxAgeMs)
  const sweep = setInterval(() => {
    expireSessions(db, new Date(Date.now() - options.sessionMaxAgeMs)).then(
      (expired) => {
        if (expired > 0) log.info({ expired }, 'sessions expired')
      },
      () => {},
    )
  }, sweepEveryMs)
  refresh.unref()
  sweep.unref()
  return () => {
    clearInterval(refresh)
    clearInterval(sweep)
  }
}
