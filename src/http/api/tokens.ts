// API tokens over the admin API (admins only): list them (never the secret) and revoke one.
// Creating a token stays in the console and the CLI, where the secret can be shown once to a person.
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { recordAudit } from '../../audit/audit-log.ts'
import { listApiTokens, revokeApiToken } from '../../db/api-tokens.ts'
import type { Database } from '../../db/schema.ts'
import { withTransaction } from '../../db/transaction.ts'
import { appError, ERRORS } from '../../errors.ts'
import { auditContext } from '../staff/staff-context.ts'
import { ERROR_SCHEMA, NULLABLE_TIME_SCHEMA, TIME_SCHEMA } from './schemas.ts'

const TOKEN_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' }, name: { type: 'string' }, prefix: { type: 'string', description: 'The first characters of the token' },
    role: { type: 'string', enum: ['admin', 'operator', 'support'] }, createdBy: { type: 'string' }, createdAt: TIME_SCHEMA,
    lastUsedAt: NULLABLE_TIME_SCHEMA, revokedAt: NULLABLE_TIME_SCHEMA,
  },
} as const
const tags = ['api tokens']

/** Register GET /api/v1/tokens and POST /api/v1/tokens/:id/revoke. */
export function tokenApiRoutes(area: FastifyInstance, deps: { db: Kysely<Database> }): void {
  area.get('/api/v1/tokens', {
    config: { permission: 'staff:admin' },
    schema: { tags, summary: 'Every API token, newest first (never the secret)', response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: TOKEN_SCHEMA } } } } },
  }, async () => ({ tokens: await listApiTokens(deps.db) }))

  area.post('/api/v1/tokens/:id/revoke', {
    config: { permission: 'staff:admin' },
    schema: { tags, summary: 'Revoke a token (effective at once on every instance)', params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } }, response: { 200: TOKEN_SCHEMA, 404: ERROR_SCHEMA } },
  }, async (request) => {
    const id = (request.params as { id: number }).id
    const before = await withTransaction(deps.db, async (trx) => {
      const token = await revokeApiToken(trx, id)
      if (token !== undefined) await recordAudit(trx, { ...auditContext(request), action: 'api-token.revoke', target: `api-token:${token.name}`, before: { name: token.name, role: token.role, prefix: token.prefix }, after: { revoked: true } })
      return token
    })
    if (before === undefined) throw appError(ERRORS.NOT_FOUND, 'No such live token')
    return { ...before, revokedAt: new Date() }
  })
}
