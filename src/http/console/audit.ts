// The audit log in the console: search by actor, action (or prefix such as "settings."), target and
// time, newest first in pages of 100, and export of the same search as CSV or JSON.
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Kysely } from 'kysely'
import { AUDIT_QUERY_SCHEMA, type AuditQuery, auditCsv, auditFilter, EXPORT_LIMIT } from '../../audit/audit-export.ts'
import { type AuditRecord, searchAudit } from '../../audit/audit-log.ts'
import type { Database } from '../../db/schema.ts'
import { appError, ERRORS } from '../../errors.ts'
import { renderConsole } from '../staff/console-page.ts'

const PAGE = 100

/** Send `records` as a download in `format`. */
export function sendAuditExport(reply: FastifyReply, records: AuditRecord[], format: 'csv' | 'json'): FastifyReply {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  reply.header('content-disposition', `attachment; filename="audit-${stamp}.${format}"`)
  if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(auditCsv(records))
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(records))
}

/** Register the console's audit pages. */
export function auditConsoleRoutes(area: FastifyInstance, deps: { db: Kysely<Database> }): void {
  area.get('/console/audit', { config: { permission: 'audit:read' }, schema: { querystring: AUDIT_QUERY_SCHEMA } }, async (request, reply) => {
    const query = request.query as AuditQuery
    const filter = auditFilter(query, PAGE + 1)
    if ('invalid' in filter) {
      return renderConsole(request, reply, 'audit.eta', { title: 'Audit log', query, entries: [], problem: `Cannot read the time in "${filter.invalid}": use 2026-11-22T01:30 (UTC).`, exportQuery: '', olderHref: null })
    }
    const found = await searchAudit(deps.db, filter)
    const entries = found.slice(0, PAGE)
    const params = new URLSearchParams(Object.entries(query).filter(([k, v]) => k !== 'before' && v !== undefined && v !== '').map(([k, v]) => [k, String(v)]))
    const olderHref = found.length > PAGE ? `/console/audit?${new URLSearchParams([...params, ['before', String(entries.at(-1)!.id)]])}` : null
    return renderConsole(request, reply, 'audit.eta', { title: 'Audit log', query, entries, exportQuery: params.toString(), olderHref })
  })

  for (const format of ['csv', 'json'] as const) {
    area.get(`/console/audit/export.${format}`, { config: { permission: 'audit:read' }, schema: { querystring: AUDIT_QUERY_SCHEMA } }, async (request, reply) => {
      const filter = auditFilter(request.query as AuditQuery, EXPORT_LIMIT)
      if ('invalid' in filter) throw appError(ERRORS.BAD_REQUEST, `Cannot read the time in "${filter.invalid}"`)
      return sendAuditExport(reply, await searchAudit(deps.db, filter), format)
    })
  }
}
