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
  /** CoA attributes of the lift profile: [{ name, value }]. */
  coaAttributes: ColumnType<{ name: string; value: string | number }[], string | undefined, string>
  /** When the shared secret was last set (the secret itself is never shown back). */
  secretChangedAt: UpdatedAt
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
  /** The TOTP secret (RFC 6238), sealed (staff/totp-secret-box.ts); set at enrolment, in force once totpEnabledAt is set. */
  totpSecret: string | null
  totpEnabledAt: Date | null
  /** The last TOTP time step accepted (a code is never accepted twice). */
  totpLastStep: number | null
  createdAt: CreatedAt
}

/** A console session; the cookie holds the id, the table only its SHA-256. */
export interface StaffSessionsTable {
  idHash: Buffer
  staffId: number | null
  stage: 'anonymous' | 'totp' | 'complete'
  csrfToken: string
  createdAt: CreatedAt
  lastSeenAt: ColumnType<Date, Date | string | undefined, Date | string>
  expiresAt: Date
}

/** Failed staff logins by subject (user or source address), for throttling across instances. */
export interface StaffLoginFailuresTable {
  subject: string
  at: CreatedAt
}

/** A bearer token for automation, stored as its SHA-256. */
export interface ApiTokensTable {
  id: Generated<number>
  name: string
  tokenHash: Buffer
  /** The first characters of the token, shown in lists so a token can be recognised. */
  prefix: string
  role: 'admin' | 'operator' | 'support'
  createdBy: string
  createdAt: CreatedAt
  lastUsedAt: Date | null
  revokedAt: Date | null
}

/** The append-only record of staff actions and settings changes. */
export interface AuditLogTable {
  id: Generated<number>
  at: CreatedAt
  actor: string
  actorId: number | null
  via: 'session' | 'token' | 'cli' | 'system'
  action: string
  target: string | null
  before: ColumnType<unknown, string | null, never>
  after: ColumnType<unknown, string | null, never>
  reason: string | null
  sourceAddress: string | null
  requestId: string | null
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

/** Where a recharge attempt is in its life. */
export type AttemptState =
  | 'created' | 'paying' | 'paid' | 'credited' | 'lifting' | 'lifted' | 'confirmed'
  | 'declined' | 'failed' | 'refunded' | 'expired'

/** One try to recharge a line. */
export interface RechargeAttemptsTable {
  id: string
  reference: string
  msisdn: string
  method: 'voucher' | 'card'
  amountMinor: number | null
  currency: string | null
  state: AttemptState
  sourceAddress: string | null
  realm: string | null
  identifiedHow: string | null
  voucherSerial: string | null
  providerOrderId: string | null
  continueUrl: string | null
  needsSupport: Generated<boolean>
  supportReason: string | null
  createdAt: CreatedAt
  updatedAt: UpdatedAt
  paidAt: Date | null
  creditedAt: Date | null
  liftedAt: Date | null
  confirmedAt: Date | null
}

/** The append-only timeline of an attempt. */
export interface AttemptEventsTable {
  id: Generated<number>
  attemptId: string
  at: CreatedAt
  kind: string
  detail: ColumnType<unknown, string, string>
}

/** Durable work, leased with FOR UPDATE SKIP LOCKED. */
export interface JobsTable {
  id: Generated<number>
  kind: string
  payload: ColumnType<unknown, string, string>
  dedupeKey: string | null
  runAt: ColumnType<Date, Date | string | undefined, Date | string>
  tries: Generated<number>
  maxTries: Generated<number>
  lockedBy: string | null
  lockedUntil: Date | null
  lastError: string | null
  doneAt: Date | null
  createdAt: CreatedAt
}

/** Wrong voucher PINs, by subject (line or address), for the lockout. */
export interface VoucherFailuresTable {
  subject: string
  at: CreatedAt
}

/** One operator setting held in the database; it overrides the environment's default. */
export interface SettingsTable {
  key: string
  value: ColumnType<unknown, string, string>
  updatedAt: UpdatedAt
}

/** One row: bumped by triggers whenever settings or NAS clients change; instances poll it. */
export interface SettingsRevisionTable {
  singleton: Generated<boolean>
  revision: number
  changedAt: Date
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
  rechargeAttempts: RechargeAttemptsTable
  attemptEvents: AttemptEventsTable
  jobs: JobsTable
  voucherFailures: VoucherFailuresTable
  settings: SettingsTable
  settingsRevision: SettingsRevisionTable
  staffSessions: StaffSessionsTable
  staffLoginFailures: StaffLoginFailuresTable
  apiTokens: ApiTokensTable
  auditLog: AuditLogTable
}

/** A NAS client row as read. */
export type NasClient = Selectable<NasClientsTable>
/** A NAS client row to insert. */
export type NewNasClient = Insertable<NasClientsTable>
/** A session row as read. */
export type RadiusSession = Selectable<RadiusSessionsTable>
/** An attempt row as read. */
export type RechargeAttempt = Selectable<RechargeAttemptsTable>
/** A line row as read. */
export type Line = Selectable<LinesTable>
