// API tokens in the console (admins only): list, create (the token is shown once, on the answer
// to the form, never again) and revoke. Both changes are audited; the secret never is.
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { recordAudit } from '../../audit/audit-log.ts'
import { createApiToken, listApiTokens, revokeApiToken, TOKEN_NAME } from '../../db/api-tokens.ts'
import type { Database } from '../../db/schema.ts'
import { withTransaction } from '../../db/transaction.ts'
import { ROLES, type Role } from '../../staff/permissions.ts'
import { renderConsole } from '../staff/console-page.ts'
import { auditContext } from '../staff/staff-context.ts'

const ACCESS = { permission: 'staff:admin' } as const

/** Register /console/tokens. */
export function tokenConsoleRoutes(area: FastifyInstance, deps: { db: Kysely<Database> }): void {
  const page = async (extra: Record<string, unknown> = {}) => ({ title: 'API tokens', tokens: await listApiTokens(deps.db), roles: ROLES, ...extra })

  area.get('/console/tokens', { config: ACCESS, schema: { querystring: { type: 'object', properties: { done: { type: 'string', enum: ['revoked'] } } } } }, async (request, reply) => {
    const done = (request.query as { done?: string }).done
    return renderConsole(request, reply, 'tokens.eta', await page(done === 'revoked' ? { notice: 'Token revoked.' } : {}))
  })

  area.post('/console/tokens', {
    config: ACCESS,
    schema: { body: { type: 'object', properties: { name: { type: 'string', maxLength: 64 }, role: { type: 'string', maxLength: 16 }, _csrf: { type: 'string' } } } },
  }, async (request, reply) => {
    const { name = '', role = '' } = request.body as { name?: string; role?: string }
    if (!TOKEN_NAME.test(name) || !(ROLES as readonly string[]).includes(role)) {
      reply.code(400)
      return renderConsole(request, reply, 'tokens.eta', await page({ problem: 'Name: 3–64 of a-z 0-9 . _ - ; role: admin, operator or support.' }))
    }
    const exists = await deps.db.selectFrom('apiTokens').select('id').where('name', '=', name).executeTakeFirst()
    if (exists !== undefined) {
      reply.code(409)
      return renderConsole(request, reply, 'tokens.eta', await page({ problem: `A token named ${name} exists already (revoked ones keep their name).` }))
    }
    const created = await withTransaction(deps.db, async (trx) => {
      const made = await createApiToken(trx, { name, role: role as Role, createdBy: request.staff!.username })
      await recordAudit(trx, { ...auditContext(request), action: 'api-token.create', target: `api-token:${name}`, after: { name, role, prefix: made.info.prefix } })
      return made
    })
    return renderConsole(request, reply, 'tokens.eta', await page({ created: { name, token: created.token } }))
  })

  area.post('/console/tokens/:id/revoke', { config: ACCESS, schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } } }, async (request, reply) => {
    const id = (request.params as { id: number }).id
    const revoked = await withTransaction(deps.db, async (trx) => {
      const before = await revokeApiToken(trx, id)
      if (before !== undefined) await recordAudit(trx, { ...auditContext(request), action: 'api-token.revoke', target: `api-token:${before.name}`, before: { name: before.name, role: before.role, prefix: before.prefix }, after: { revoked: true } })
      return before
    })
    if (revoked === undefined) return reply.callNotFound()
    return reply.code(303).header('location', '/console/tokens?done=revoked').send()
  })
}
