// The audit log as files: CSV (RFC 4180, one row per entry, before/after as JSON text) and JSON.
// Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.
import type { AuditFilter, AuditRecord } from './audit-log.ts'

/** At most this many entries per export (narrow the time range for more). */
export const EXPORT_LIMIT = 50_000

const COLUMNS = ['id', 'at', 'actor', 'via', 'action', 'target', 'reason', 'before', 'after', 'sourceAddress', 'requestId'] as const

function cell(value: unknown): string {
  let text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** The entries as CSV with a header row. */
export function auditCsv(records: readonly AuditRecord[]): string {
  const lines = [COLUMNS.join(',')]
  for (const r of records) lines.push(COLUMNS.map((c) => cell(r[c])).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/** The query string fields a search or export accepts (console form and API alike). */
export interface AuditQuery {
  actor?: string
  action?: string
  target?: string
  from?: string
  to?: string
  before?: number
}

/** JSON schema of AuditQuery. */
export const AUDIT_QUERY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    actor: { type: 'string', maxLength: 80 },
    action: { type: 'string', maxLength: 80 },
    target: { type: 'string', maxLength: 200 },
    from: { type: 'string', maxLength: 40, description: 'ISO 8601 time (UTC when no offset is given)' },
    to: { type: 'string', maxLength: 40 },
    before: { type: 'integer', minimum: 1, description: 'Only entries older than this id (paging)' },
  },
} as const

/** A time from a query: ISO 8601, read as UTC when it has no offset; undefined when empty; null when unreadable. */
export function queryTime(text: string | undefined): Date | undefined | null {
  if (text === undefined || text.trim() === '') return undefined
  const trimmed = text.trim()
  const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(trimmed) ? trimmed : `${trimmed}Z`
  const at = new Date(withZone)
  return Number.isNaN(at.getTime()) ? null : at
}

/** The filter for `query`, or the name of the field that could not be read. */
export function auditFilter(query: AuditQuery, limit: number): AuditFilter | { invalid: string } {
  const from = queryTime(query.from)
  const to = queryTime(query.to)
  if (from === null) return { invalid: 'from' }
  if (to === null) return { invalid: 'to' }
  const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim())
  return { actor: blank(query.actor), action: blank(query.action), target: blank(query.target), from, to, beforeId: query.before, limit }
}
