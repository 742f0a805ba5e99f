// What an operator sees of the configuration held in the database: the stored settings and the
// NAS clients without their secrets (a secret is only ever "set, last changed …"). Used for the
// YAML export, the console and API views, and the before/after of audit entries.
import type { Kysely, Transaction } from 'kysely'
import { listNasClients } from '../db/nas-clients.ts'
import type { Database, NasClient } from '../db/schema.ts'
import { readStoredSettings } from '../db/settings.ts'
import { displayAddress } from './nas-client-input.ts'
import { type SettingsContext, type StoredSettings, storedSettings } from './settings-schema.ts'

/** A NAS client as shown: everything but the secret. */
export interface NasClientView {
  id: number
  name: string
  address: string
  realm: string
  secretSet: true
  secretChangedAt: string
  requireMessageAuthenticator: boolean
  coaHost: string | null
  coaPort: number
  liftProfile: 'coa' | 'disconnect' | 'none'
  coaAttributes: { name: string; value: string | number }[]
  updatedAt: string
}

/** The configuration held in the database, secrets left out. */
export interface ConfigSnapshot {
  revision: number
  settings: StoredSettings
  nasClients: NasClientView[]
}

/** The shown form of a NAS client row. */
export function nasClientView(row: NasClient): NasClientView {
  return {
    id: row.id,
    name: row.name,
    address: displayAddress(row.address),
    realm: row.realm,
    secretSet: true,
    secretChangedAt: new Date(row.secretChangedAt).toISOString(),
    requireMessageAuthenticator: row.requireMessageAuthenticator,
    coaHost: row.coaHost,
    coaPort: row.coaPort,
    liftProfile: row.liftProfile,
    coaAttributes: Array.isArray(row.coaAttributes) ? row.coaAttributes : [],
    updatedAt: new Date(row.updatedAt).toISOString(),
  }
}

/** Read the configuration held in the database (stored settings that no longer validate are left out). */
export async function readConfigSnapshot(db: Kysely<Database> | Transaction<Database>, context: SettingsContext): Promise<ConfigSnapshot> {
  const stored = await readStoredSettings(db)
  const { settings } = storedSettings(stored.values, context)
  return { revision: stored.revision, settings, nasClients: (await listNasClients(db)).map(nasClientView) }
}
