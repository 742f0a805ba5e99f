// What the operator pages and API routes (NAS clients, settings, allowlist, YAML) need.
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { RetransmitSchedule } from '../../radius/dynamic-authorization-client.ts'
import type { SettingsStore } from '../../settings/settings-store.ts'

/** The operator area's dependencies. */
export interface OperatorDeps {
  db: Kysely<Database>
  /** The settings in force (and the environment context new settings are validated against). */
  settings: SettingsStore
  /** The payment provider's base URL (for the allowlist), null when card payments are off. */
  paymentUrl: string | null
  /** Retransmission of the "send test CoA" action (tests shorten it). */
  testCoaSchedule?: RetransmitSchedule
}
