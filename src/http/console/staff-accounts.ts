// Staff accounts in the console (admins only): list, create with an initial password (Argon2id),
// disable and enable. Disabling ends the user's sessions at once; an admin cannot disable
// themselves (there must always be a way back in). Every change is audited, never a password.
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { recordAudit } from '../../audit/audit-log.ts'
import type { Database } from '../../db/schema.ts'
import { deleteSessionsOf } from '../../db/staff-sessions.ts'
import { withTransaction } from '../../db/transaction.ts'
import { hashPassword } from '../../staff/password.ts'
import { ROLES, type Role } from '../../staff/permissions.ts'
import { renderConsole } from '../staff/console-page.ts'
import { auditContext } from '../staff/staff-context.ts'

const ACCESS = { permission: 'staff:admin' } as const
const USERNAME = /^[a-z0-9._-]{3,64}$/
const DONE = { created: 'Account created.', disabled: 'Account disabled; its sessions ended.', enabled: 'Account enabled.' } as const

/** Register /console/staff. */
export function staffAccountRoutes(area: FastifyInstance, deps: { db: Kysely<Database> }): void {
  const page = async (extra: Record<string, unknown> = {}) => ({
    title: 'Staff accounts',
    roles: ROLES,
    users: await deps.db.selectFrom('staffUsers').select(['id', 'username', 'role', 'disabled', 'totpEnabledAt', 'createdAt']).orderBy('username').execute(),
    ...extra,
  })

  area.get('/console/staff', { config: ACCESS, schema: { querystring: { type: 'object', properties: { done: { type: 'string', enum: Object.keys(DONE) } } } } }, async (request, reply) => {
    const done = (request.query as { done?: keyof typeof DONE }).done
    return renderConsole(request, reply, 'staff.eta', await page(done === undefined ? {} : { notice: DONE[done] }))
  })

  area.post('/console/staff', {
    config: ACCESS,
    schema: { body: { type: 'object', properties: { username: { type: 'string', maxLength: 64 }, role: { type: 'string', maxLength: 16 }, password: { type: 'string', maxLength: 1024 }, _csrf: { type: 'string' } } } },
  }, async (request, reply) => {
    const { username = '', role = '', password = '' } = request.body as Record<string, string | undefined>
    const problem = !USERNAME.test(username) ? 'Username: 3–64 of a-z 0-9 . _ -'
      : !(ROLES as readonly string[]).includes(role) ? 'Role: admin, operator or support.'
      : password.length < 12 ? 'The initial password must be at least 12 characters.' : undefined
    if (problem !== undefined) {
      reply.code(400)
      return renderConsole(request, reply, 'staff.eta', await page({ problem }))
    }
    const passwordHash = await hashPassword(password)
    const created = await withTransaction(deps.db, async (trx) => {
      const row = await trx.insertInto('staffUsers').values({ username, role: role as Role, passwordHash, totpSecret: null, totpEnabledAt: null, totpLastStep: null }).onConflict((oc) => oc.column('username').doNothing()).returning('id').executeTakeFirst()
      if (row !== undefined) await recordAudit(trx, { ...auditContext(request), action: 'staff.create', target: `staff:${username}`, after: { username, role } })
      return row !== undefined
    })
    if (!created) {
      reply.code(409)
      return renderConsole(request, reply, 'staff.eta', await page({ problem: `A staff user named ${username} exists already.` }))
    }
    return reply.code(303).header('location', '/console/staff?done=created').send()
  })

  for (const action of ['disable', 'enable'] as const) {
    area.post(`/console/staff/:id/${action}`, { config: ACCESS, schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } } }, async (request, reply) => {
      const id = (request.params as { id: number }).id
      if (action === 'disable' && id === request.staff!.id) {
        reply.code(409)
        return renderConsole(request, reply, 'staff.eta', await page({ problem: 'You cannot disable your own account.' }))
      }
      const changed = await withTransaction(deps.db, async (trx) => {
        const user = await trx.selectFrom('staffUsers').select(['username', 'disabled']).where('id', '=', id).forUpdate().executeTakeFirst()
        if (user === undefined) return false
        await trx.updateTable('staffUsers').set({ disabled: action === 'disable' }).where('id', '=', id).execute()
        if (action === 'disable') await deleteSessionsOf(trx, id)
        await recordAudit(trx, { ...auditContext(request), action: `staff.${action}`, target: `staff:${user.username}`, before: { disabled: user.disabled }, after: { disabled: action === 'disable' } })
        return true
      })
      if (!changed) return reply.callNotFound()
      return reply.code(303).header('location', `/console/staff?done=${action}d`).send()
    })
  }
}
