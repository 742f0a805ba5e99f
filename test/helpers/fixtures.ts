// Shared set-up for tests: NAS clients and billing lines inserted as an operator would, and
// accounting records shaped as toAccountingRecord produces them, so sessions are written by the
// real recorder.
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.ts'
import { type AccountingRecord, createSessionRecorder } from '../../src/identification/session-recorder.ts'

/** Insert a NAS client and return its id. */
export async function addNasClient(db: Kysely<Database>, fields: { name: string; address: string; realm: string }): Promise<number> {
  const row = await db
    .insertInto('nasClients')
    .values({ ...fields, secret: 'testing123', requireMessageAuthenticator: true, coaHost: null, coaPort: 3799, liftProfile: 'coa' })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

/** What a test says about one accounting record of a session; the rest defaults to null. */
export interface SessionFields {
  nasId: number
  realm: string
  acctSessionId: string
  eventTime: Date
  msisdn?: string | null
  framedIp?: string | null
  framedIpv6Prefix?: string | null
  delegatedIpv6Prefix?: string | null
  stopReason?: string
}

/** A Start, Interim-Update or Stop record as the accounting handler would hand it to the recorder. */
export function sessionRecord(kind: 'start' | 'interim' | 'stop', f: SessionFields): AccountingRecord {
  return {
    kind,
    nasId: f.nasId,
    realm: f.realm,
    acctSessionId: f.acctSessionId,
    msisdn: f.msisdn ?? null,
    imsi: null,
    framedIp: f.framedIp ?? null,
    framedIpv6Prefix: f.framedIpv6Prefix ?? null,
    delegatedIpv6Prefix: f.delegatedIpv6Prefix ?? null,
    eventTime: f.eventTime,
    stopReason: kind === 'stop' ? (f.stopReason ?? 'stop') : null,
  }
}

/** A billing line: suspended for `reason` with `balanceMinor`, or active. */
export interface LineFields {
  msisdn: string
  balanceMinor: number
  status: 'active' | 'suspended'
  suspensionReason?: 'arrears' | 'fraud' | 'administrative' | 'other' | null
}

/** Insert billing lines (CNY, restored at 0.00). */
export async function addLines(db: Kysely<Database>, lines: LineFields[]): Promise<void> {
  await db
    .insertInto('lines')
    .values(lines.map((l) => ({ msisdn: l.msisdn, balanceMinor: l.balanceMinor, currency: 'CNY', status: l.status, suspensionReason: l.suspensionReason ?? null, restoreThresholdMinor: 0 })))
    .execute()
}

/** Store accounting Starts (now, realm "default" unless given) through the real recorder. */
export async function startSessions(
  db: Kysely<Database>,
  sessions: { nasId: number; acctSessionId: string; msisdn: string; framedIp: string; realm?: string }[],
): Promise<void> {
  const recorder = createSessionRecorder(db, { touchAfterMs: 0 })
  for (const s of sessions) {
    await recorder.record(sessionRecord('start', { ...s, realm: s.realm ?? 'default', eventTime: new Date() }))
  }
}
