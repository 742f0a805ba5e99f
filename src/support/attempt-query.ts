// The attempt search as a query string (console form and API alike): schema and parsing into a
// search, with a readable problem for a field that cannot be understood.
import ipaddr from 'ipaddr.js'
import { queryTime } from '../audit/audit-export.ts'
import type { AttemptSearch } from '../db/support.ts'
import type { AttemptState } from '../db/schema.ts'

/** Every attempt state, for the form's choice and the schema. */
export const ATTEMPT_STATES: readonly AttemptState[] = ['created', 'paying', 'paid', 'credited', 'lifting', 'lifted', 'confirmed', 'declined', 'failed', 'refunded', 'expired']

/** The query string of a search. */
export interface AttemptQuery {
  msisdn?: string
  address?: string
  from?: string
  to?: string
  state?: string
  reference?: string
  voucher?: string
}

/** JSON schema of AttemptQuery (empty strings allowed: an HTML form sends every field). */
export const ATTEMPT_QUERY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    msisdn: { type: 'string', maxLength: 20, description: 'The whole number, or its last 4 or more digits' },
    address: { type: 'string', maxLength: 50, description: 'Source address, or a CIDR prefix' },
    from: { type: 'string', maxLength: 40, description: 'ISO 8601 time (UTC when no offset is given)' },
    to: { type: 'string', maxLength: 40 },
    state: { type: 'string', enum: ['', ...ATTEMPT_STATES] },
    reference: { type: 'string', maxLength: 80, description: 'Our reference (R…) or the payment provider order id' },
    voucher: { type: 'string', maxLength: 40, description: 'Voucher serial' },
  },
} as const

/** Whether the query asks for anything at all. */
export function hasCriteria(query: AttemptQuery): boolean {
  return Object.values(query).some((v) => typeof v === 'string' && v.trim() !== '')
}

/** The search for `query`, or a problem to show. */
export function attemptSearch(query: AttemptQuery, limit: number): AttemptSearch | { problem: string } {
  const text = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim())
  const msisdn = text(query.msisdn)?.replace(/[\s-]/g, '')
  if (msisdn !== undefined && !/^\+?\d{4,15}$/.test(msisdn)) return { problem: 'Number: give the whole number or at least its last 4 digits.' }
  const address = text(query.address)
  if (address !== undefined && !ipaddr.isValid(address) && !isCidr(address)) return { problem: 'Source address: give an IPv4/IPv6 address or a prefix like 10.0.0.0/24.' }
  const from = queryTime(query.from)
  const to = queryTime(query.to)
  if (from === null || to === null) return { problem: 'Time: use 2026-11-22T01:30 (UTC) or an ISO 8601 time with offset.' }
  const state = text(query.state) as AttemptState | undefined
  return { msisdn, sourceAddress: address, from, to, state, reference: text(query.reference), voucherSerial: text(query.voucher), limit }
}

function isCidr(text: string): boolean {
  try {
    ipaddr.parseCIDR(text)
    return true
  } catch {
    return false
  }
}
