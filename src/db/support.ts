// Support's queries: find attempts the way a caller describes them ("my number ends in 0077", "I
// paid at about ten", "here is my voucher serial"), and the accounting a line produced.
import { sql, type Kysely } from 'kysely'
import { escapeLike } from '../audit/audit-log.ts'
import type { AttemptState, Database, RechargeAttempt } from './schema.ts'

/** What an attempt search may filter on (all optional, combined with AND). */
export interface AttemptSearch {
  /** A whole number (with or without country code) or its last 4+ digits. */
  msisdn?: string
  /** An IPv4/IPv6 address, or a CIDR prefix containing it. */
  sourceAddress?: string
  from?: Date
  to?: Date
  state?: AttemptState
  /** Our reference (R…) or the payment provider's order id. */
  reference?: string
  voucherSerial?: string
  limit?: number
}

/** Attempts matching `search`, newest first. */
export async function searchAttempts(db: Kysely<Database>, search: AttemptSearch): Promise<RechargeAttempt[]> {
  let query = db.selectFrom('rechargeAttempts').selectAll()
  if (search.msisdn) {
    // Always a suffix match (an indexed prefix match on the reversed number): the whole number with
    // its country code, the national number a caller reads out, or just its last digits all match.
    const digits = search.msisdn.replace(/^\+/, '')
    query = query.where(sql<string>`reverse(msisdn)`, 'like', `${escapeLike([...digits].reverse().join(''))}%`)
  }
  if (search.sourceAddress) {
    const address = search.sourceAddress
    query = address.includes('/') ? query.where(sql<boolean>`source_address <<= ${address}::inet`, '=', true) : query.where('sourceAddress', '=', address)
  }
  if (search.from) query = query.where('createdAt', '>=', search.from)
  if (search.to) query = query.where('createdAt', '<', search.to)
  if (search.state) query = query.where('state', '=', search.state)
  if (search.reference) {
    const reference = search.reference
    query = query.where((eb) => eb.or([eb('reference', '=', reference.toUpperCase()), eb('providerOrderId', '=', reference)]))
  }
  if (search.voucherSerial) query = query.where('voucherSerial', '=', search.voucherSerial)
  return query.orderBy('createdAt', 'desc').orderBy('id').limit(Math.min(search.limit ?? 100, 500)).execute()
}

/** One accounting session as support sees it. */
export interface SessionRow {
  id: number
  nasName: string | null
  realm: string
  acctSessionId: string
  framedIp: string | null
  framedIpv6Prefix: string | null
  startedAt: Date
  lastSeenAt: Date
  stoppedAt: Date | null
  stopReason: string | null
}

/** A line's sessions, newest first; with `since`, only those seen at or after it. */
export async function lineSessions(db: Kysely<Database>, msisdn: string, options: { since?: Date; limit?: number } = {}): Promise<SessionRow[]> {
  let query = db
    .selectFrom('radiusSessions as s')
    .leftJoin('nasClients as n', 'n.id', 's.nasId')
    .select(['s.id', 'n.name as nasName', 's.realm', 's.acctSessionId', 's.framedIp', 's.framedIpv6Prefix', 's.startedAt', 's.lastSeenAt', 's.stoppedAt', 's.stopReason'])
    .where('s.msisdn', '=', msisdn)
  if (options.since) query = query.where('s.lastSeenAt', '>=', options.since)
  const rows = await query.orderBy('s.startedAt', 'desc').limit(options.limit ?? 100).execute()
  return rows.map((r) => ({ ...r, framedIp: r.framedIp === null ? null : String(r.framedIp), framedIpv6Prefix: r.framedIpv6Prefix === null ? null : String(r.framedIpv6Prefix) }))
}
