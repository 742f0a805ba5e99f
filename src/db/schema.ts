// Table types for kysely, one interface per table, camelCase (the CamelCasePlugin maps to
// snake_case columns). Money is integer minor units; 64-bit integers arrive as numbers (see
// int8.ts).
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>

/** A NAS/PGW/BNG allowed to send accounting and to receive CoA/Disconnect. */
export interface NasClientsTable {
  id: Generated<number>
  name: string
  /** Source address or CIDR (inet/cidr text form). */
  address: string
  secret: string
  realm: string
  requireMessageAuthenticator: boolean
  /** Where CoA/Disconnect go; null means the matching accounting source address. */
  coaHost: string | null
  coaPort: number
  liftProfile: 'coa' | 'disconnect' | 'none'
  createdAt: CreatedAt
  updatedAt: UpdatedAt
}

/** A prepaid line in the built-in billing ledger. */
export interface LinesTable {
  msisdn: string
  balanceMinor: number
  currency: string
  status: 'active' | 'suspended'
  suspensionReason: 'arrears' | 'fraud' | 'administrative' | 'other' | null
  restoreThresholdMinor: Generated<number>
  createdAt: CreatedAt
  updatedAt: UpdatedAt
}

/** Append-only money movements; the sum per line equals its balance. */
export interface LedgerEntriesTable {
  id: Generated<number>
  msisdn: string
  amountMinor: number
  currency: string
  kind: 'opening' | 'credit' | 'debit' | 'refund' | 'adjustment'
  idempotencyKey: string
  reference: string | null
  createdAt: CreatedAt
}

/** A printed batch of scratch cards of one value. */
export interface VoucherBatchesTable {
  id: Generated<number>
  name: string
  valueMinor: number
  currency: string
  expiresAt: Date | null
  createdAt: CreatedAt
}

/** One scratch card; the PIN is stored only as a keyed hash. */
export interface VouchersTable {
  serial: string
  batchId: number
  pinHash: Buffer
  status: 'unused' | 'used' | 'void'
  usedAt: Date | null
  usedFor: string | null
  createdAt: CreatedAt
}

/** A console/API user. */
export interface StaffUsersTable {
  id: Generated<number>
  username: string
  passwordHash: string
  role: 'admin' | 'operator' | 'support'
  disabled: Generated<boolean>
  createdAt: CreatedAt
}

/** Instance-wide secrets shared by every instance (HMAC keys), created once. */
export interface AppSecretsTable {
  name: string
  value: string
  createdAt: CreatedAt
}

/** One accounting session: which line was behind which address on which NAS, and when. */
export interface RadiusSessionsTable {
  id: Generated<number>
  nasId: number
  realm: string
  acctSessionId: string
  msisdn: string | null
  imsi: string | null
  framedIp: string | null
  framedIpv6Prefix: string | null
  delegatedIpv6Prefix: string | null
  startedAt: Date
  lastSeenAt: Date
  stoppedAt: Date | null
  stopReason: string | null
}

/** The whole database as kysely sees it. */
export interface Database {
  nasClients: NasClientsTable
  lines: LinesTable
  ledgerEntries: LedgerEntriesTable
  voucherBatches: VoucherBatchesTable
  vouchers: VouchersTable
  staffUsers: StaffUsersTable
  appSecrets: AppSecretsTable
  radiusSessions: RadiusSessionsTable
}

/** A NAS client row as read. */
export type NasClient = Selectable<NasClientsTable>
/** A NAS client row to insert. */
export type NewNasClient = Insertable<NasClientsTable>
/** A session row as read. */
export type RadiusSession = Selectable<RadiusSessionsTable>
/** A line row as read. */
export type Line = Selectable<LinesTable>
