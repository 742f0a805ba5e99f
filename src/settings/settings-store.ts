// Every instance's view of the operator settings: read from the database at start-up, then a
// cheap poll of one revision number (bumped by triggers in the same transaction as any change to
// settings or NAS clients) re-reads them when it moves. The same on PGlite and PostgreSQL, no
// LISTEN/NOTIFY needed. A change reaches every instance within one poll interval plus one read.
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { readSettingsRevision, readStoredSettings } from '../db/settings.ts'
import type { Database } from '../db/schema.ts'
import { type LiveSettings, resolveSettings, type SettingsBase } from './live-settings.ts'
import { type SettingsContext, storedSettings } from './settings-schema.ts'

/** The settings in force, kept current. */
export interface SettingsStore {
  /** What validation of new settings must know about this instance's environment. */
  readonly context: SettingsContext
  /** The environment's values (what a setting falls back to when the database holds none). */
  readonly base: SettingsBase
  /** The settings in force now (synchronous: request handlers call it per request). */
  current(): LiveSettings
  /** Re-read now when the revision moved; resolves true when it did. */
  check(): Promise<boolean>
  /** Called after each reload (e.g. to reload the NAS directory at once). */
  onChange(listener: (settings: LiveSettings) => void): void
  stop(): void
}

/** How often instances poll the revision. */
export const SETTINGS_POLL_MS = 1000

/** Settings that never change (no database): the environment's alone. */
export function fixedSettings(base: SettingsBase, context: SettingsContext = { cardAvailable: false, envTrustedProxies: base.identification.trustedProxies }): SettingsStore {
  const settings = resolveSettings(base, {}, 0)
  return { context, base, current: () => settings, check: async () => false, onChange: () => {}, stop: () => {} }
}

/** Load the settings and start polling for changes. */
export async function createSettingsStore(options: {
  db: Kysely<Database>
  base: SettingsBase
  context: SettingsContext
  log: Logger
  pollMs?: number
}): Promise<SettingsStore> {
  const { db, base, log } = options
  const listeners: ((settings: LiveSettings) => void)[] = []

  async function load(): Promise<LiveSettings> {
    const { revision, values } = await readStoredSettings(db)
    const { settings, problems } = storedSettings(values, options.context)
    if (problems.length > 0) log.warn({ problems }, 'stored settings ignored: not valid (edited by hand?); their defaults apply')
    return resolveSettings(base, settings, revision)
  }

  let settings = await load()
  let checking: Promise<boolean> | null = null
  let failing = false

  async function reloadIfMoved(): Promise<boolean> {
    if ((await readSettingsRevision(db)) === settings.revision) return false
    settings = await load()
    log.info({ revision: settings.revision }, 'settings reloaded')
    for (const listener of listeners) listener(settings)
    return true
  }

  function check(): Promise<boolean> {
    checking ??= reloadIfMoved().finally(() => {
      checking = null
    })
    return checking
  }

  const timer = setInterval(() => {
    check().then(
      () => {
        if (failing) log.info('settings readable again')
        failing = false
      },
      (err: unknown) => {
        // Keep serving with the settings we have; say so once per outage.
        if (!failing) log.warn({ err: (err as Error).message }, 'cannot read settings; keeping the current ones')
        failing = true
      },
    )
  }, options.pollMs ?? SETTINGS_POLL_MS)
  timer.unref()

  return {
    context: options.context,
    base,
    current: () => settings,
    check,
    onChange: (listener) => void listeners.push(listener),
    stop: () => clearInterval(timer),
  }
}
