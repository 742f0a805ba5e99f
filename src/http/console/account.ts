// The signed-in user's own account: enrol a TOTP second factor (a new secret, shown once with its
// otpauth:// URI, in force only after a code from it was confirmed) or switch it off with a code.
// Both are audited and end the user's other sessions; this session gets a new id.
import type { KeyObject } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { recordAudit } from '../../audit/audit-log.ts'
import type { Database } from '../../db/schema.ts'
import { deleteSessionsOf } from '../../db/staff-sessions.ts'
import { withTransaction } from '../../db/transaction.ts'
import { newTotpSecret, otpauthUri, verifyTotp } from '../../staff/totp.ts'
import { openTotpSecret, sealTotpSecret } from '../../staff/totp-secret-box.ts'
import { renderConsole } from '../staff/console-page.ts'
import type { StaffSessions } from '../staff/staff-auth.ts'
import { auditContext } from '../staff/staff-context.ts'

const CODE_FORM = { type: 'object', required: ['code'], properties: { code: { type: 'string', maxLength: 10 }, _csrf: { type: 'string' } } } as const
const ACCESS = { permission: 'account:self' } as const

/** Register /console/account and its TOTP actions. */
export function accountRoutes(area: FastifyInstance, deps: { db: Kysely<Database>; sessions: StaffSessions; totpKey: KeyObject }): void {
  const load = async (request: FastifyRequest) => {
    const id = request.staff!.id
    const user = await deps.db.selectFrom('staffUsers').select(['username', 'totpSecret', 'totpEnabledAt', 'totpLastStep']).where('id', '=', id).executeTakeFirstOrThrow()
    return { ...user, totpSecret: user.totpSecret === null ? null : (openTotpSecret(deps.totpKey, id, user.totpSecret) ?? null) }
  }

  async function show(request: FastifyRequest, reply: FastifyReply, extra: { notice?: string; problem?: string } = {}) {
    const user = await load(request)
    const pending = user.totpEnabledAt === null && user.totpSecret !== null
    return renderConsole(request, reply, 'account.eta', {
      title: 'Your account',
      enabled: user.totpEnabledAt !== null,
      pendingSecret: pending ? user.totpSecret : null,
      pendingUri: pending ? otpauthUri(user.totpSecret!, user.username, 'recharge-gateway') : null,
      ...extra,
    })
  }

  area.get('/console/account', { config: ACCESS, schema: { querystring: { type: 'object', properties: { done: { type: 'string', enum: ['enabled', 'disabled'] } } } } }, async (request, reply) => {
    const done = (request.query as { done?: string }).done
    return show(request, reply, done === undefined ? {} : { notice: `Second factor ${done}.` })
  })

  area.post('/console/account/totp/start', { config: ACCESS }, async (request, reply) => {
    if (request.staff?.via !== 'session') return reply.code(303).header('location', '/console/account').send()
    await deps.db.updateTable('staffUsers').set({ totpSecret: sealTotpSecret(deps.totpKey, request.staff.id, newTotpSecret()) }).where('id', '=', request.staff.id).where('totpEnabledAt', 'is', null).execute()
    return reply.code(303).header('location', '/console/account').send()
  })

  for (const action of ['confirm', 'disable'] as const) {
    area.post(`/console/account/totp/${action}`, { config: ACCESS, schema: { body: CODE_FORM } }, async (request, reply) => {
      const staff = request.staff!
      const user = await load(request)
      const wanted = action === 'confirm' ? user.totpEnabledAt === null : user.totpEnabledAt !== null
      const step = wanted && user.totpSecret !== null ? verifyTotp(user.totpSecret, (request.body as { code: string }).code, new Date(), user.totpLastStep) : null
      if (step === null) {
        reply.code(400)
        return show(request, reply, { problem: 'That code is not valid; enter the current one from your authenticator app.' })
      }
      await withTransaction(deps.db, async (trx) => {
        await trx
          .updateTable('staffUsers')
          .set(action === 'confirm' ? { totpEnabledAt: new Date(), totpLastStep: step } : { totpEnabledAt: null, totpSecret: null, totpLastStep: null })
          .where('id', '=', staff.id)
          .execute()
        await deleteSessionsOf(trx, staff.id)
        await recordAudit(trx, { ...auditContext(request), action: action === 'confirm' ? 'staff.totp-enable' : 'staff.totp-disable', target: `staff:${staff.username}` })
      })
      // Every session of the user was ended above; this one continues under a new id.
      request.staffSession = null
      await deps.sessions.rotate(request, reply, staff.id, 'complete')
      return reply.code(303).header('location', `/console/account?done=${action === 'confirm' ? 'enabled' : 'disabled'}`).send()
    })
  }
}
