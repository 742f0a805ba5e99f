// GET /api/v1/audit (search, newest first, paged by id) and GET /api/v1/audit/export (CSV or JSON).
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { AUDIT_QUERY_SCHEMA, type AuditQuery, auditFilter, EXPORT_LIMIT } from '../../audit/audit-export.ts'
import { searchAudit } from '../../audit/audit-log.ts'
import type { Database } from '../../db/schema.ts'
import { appError, ERRORS } from '../../errors.ts'
import { sendAuditExport } from '../console/audit.ts'
import { ERROR_SCHEMA, TIME_SCHEMA } from './schemas.ts'

const ENTRY_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: TIME_SCHEMA,
    actor: { type: 'string' },
    actorId: { type: ['integer', 'null'] },
    via: { type: 'string', enum: ['session', 'token', 'cli', 'system'] },
    action: { type: 'string' },
    target: { type: ['string', 'null'] },
    before: {},
    after: {},
    reason: { type: ['string', 'null'] },
    sourceAddress: { type: ['string', 'null'] },
    requestId: { type: ['string', 'null'] },
  },
} as const

/** Register the audit API routes. */
export function auditApiRoutes(area: FastifyInstance, deps: { db: Kysely<Database> }): void {
  area.get('/api/v1/audit', {
    config: { permission: 'audit:read' },
    schema: {
      tags: ['audit'],
      summary: 'Search the audit log, newest first',
      querystring: { ...AUDIT_QUERY_SCHEMA, properties: { ...AUDIT_QUERY_SCHEMA.properties, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
      response: {
        200: { type: 'object', properties: { entries: { type: 'array', items: ENTRY_SCHEMA }, nextBefore: { type: ['integer', 'null'] } } },
        400: ERROR_SCHEMA,
      },
    },
  }, async (request) => {
    const query = request.query as AuditQuery & { limit: number }
    const filter = auditFilter(query, query.limit + 1)
    if ('invalid' in filter) throw appError(ERRORS.BAD_REQUEST, `Cannot read the time in "${filter.invalid}"`)
    const found = await searchAudit(deps.db, filter)
    const entries = found.slice(0, query.limit)
    return { entries, nextBefore: found.length > query.limit ? entries.at(-1)!.id : null }
  })

  area.get('/api/v1/audit/export', {
    config: { permission: 'audit:read' },
    schema: {
      tags: ['audit'],
      summary: `Export the audit log (at most ${EXPORT_LIMIT} entries) as CSV or JSON`,
      querystring: { ...AUDIT_QUERY_SCHEMA, properties: { ...AUDIT_QUERY_SCHEMA.properties, format: { type: 'string', enum: ['csv', 'json'], default: 'json' } } },
      response: {
        200: { description: 'The entries (text/csv or application/json)', type: 'string' },
        400: ERROR_SCHEMA,
      },
    },
  }, async (request, reply) => {
    const query = request.query as AuditQuery & { format: 'csv' | 'json' }
    const filter = auditFilter(query, EXPORT_LIMIT)
    if ('invalid' in filter) throw appError(ERRORS.BAD_REQUEST, `Cannot read the time in "${filter.invalid}"`)
    return sendAuditExport(reply, await searchAudit(deps.db, filter), query.format)
  })
}
