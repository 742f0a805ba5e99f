// Console sign-in and sign-out: username and password (Argon2id), then the TOTP code when the user
// enrolled one. The session id changes at each step and at sign-out; failures are throttled in
// the database (staff/login-throttle.ts) and successful sign-ins and sign-outs are audited.
import type { KeyObject } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { recordAudit } from '../../audit/audit-log.ts'
import type { Database } from '../../db/schema.ts'
import { purgeExpiredStaffSessions } from '../../db/staff-sessions.ts'
import { appError, ERRORS } from '../../errors.ts'
import { clearLoginFailures, loginThrottled, recordLoginFailure } from '../../staff/login-throttle.ts'
import { hashPassword, verifyPassword } from '../../staff/password.ts'
import { verifyTotp } from '../../staff/totp.ts'
import { openTotpSecret } from '../../staff/totp-secret-box.ts'
import { renderConsole } from '../staff/console-page.ts'
import type { StaffSessions } from '../staff/staff-auth.ts'
import { auditContext } from '../staff/staff-context.ts'
import { perAddressLimit } from '../rate-limit.ts'

/** What the login pages need. */
export interface LoginDeps {
  db: Kysely<Database>
  sessions: StaffSessions
  /** Opens sealed TOTP secrets (staff/totp-secret-box.ts). */
  totpKey: KeyObject
}

const LOGIN_FORM = {
  type: 'object',
  required: ['username', 'password'],
  properties: { username: { type: 'string', maxLength: 64 }, password: { type: 'string', maxLength: 1024 }, next: { type: 'string', maxLength: 2000 }, _csrf: { type: 'string' } },
} as const
const TOTP_FORM = { type: 'object', required: ['code'], properties: { code: { type: 'string', maxLength: 10 }, next: { type: 'string', maxLength: 2000 }, _csrf: { type: 'string' } } } as const

/** Only a console path of this site may be the target after sign-in (no open redirect). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/console'
  const base = 'http://console.invalid'
  const url = new URL(next, base)
  // The URL as the browser will resolve it (dot segments gone): still this origin, still the console.
  if (url.origin !== base || !/^\/console(\/|$)/.test(url.pathname)) return '/console'
  return `${url.pathname}${url.search}`
}

/** Register GET/POST /console/login, POST /console/login/totp and POST /console/logout. */
export function loginRoutes(area: FastifyInstance, deps: LoginDeps): void {
  // Compared against when the username is unknown, so an unknown name costs the same time.
  const decoy = hashPassword('decoy password that never matches anything')

  async function showLogin(request: FastifyRequest, reply: FastifyReply, status: number, problem?: string) {
    await deps.sessions.ensure(request, reply)
    const next = safeNext((request.body as { next?: string } | undefined)?.next ?? (request.query as { next?: string }).next)
    const totp = request.staffSession?.stage === 'totp'
    reply.code(status)
    return renderConsole(request, reply, totp ? 'login-totp.eta' : 'login.eta', { title: 'Sign in', next, problem })
  }

  // A visit without a cookie stores an anonymous session (for the form's CSRF token): bounded per address.
  area.get('/console/login', { config: { permission: 'public', rateLimit: perAddressLimit(60, '1 minute') }, schema: { querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 2000 } } } } }, async (request, reply) => {
    if (request.staff !== null) return reply.code(303).header('location', safeNext((request.query as { next?: string }).next)).send()
    return showLogin(request, reply, 200)
  })

  area.post('/console/login', { config: { permission: 'public', rateLimit: perAddressLimit(30, '1 minute') }, schema: { body: LOGIN_FORM } }, async (request, reply) => {
    const { username, password, next } = request.body as { username: string; password: string; next?: string }
    const address = request.staffAddress
    const name = username.trim().toLowerCase()
    if (await loginThrottled(deps.db, name, address)) throw appError(ERRORS.STAFF_LOGIN_THROTTLED)
    const user = await deps.db.selectFrom('staffUsers').select(['id', 'username', 'passwordHash', 'role', 'disabled', 'totpEnabledAt']).where('username', '=', name).executeTakeFirst()
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoy))
    if (user === undefined || !ok || user.disabled) {
      await recordLoginFailure(deps.db, name, address)
      request.log.info({ address }, 'staff sign-in failed')
      return showLogin(request, reply, 401, 'Wrong username or password.')
    }
    if (user.totpEnabledAt !== null) {
      await deps.sessions.rotate(request, reply, user.id, 'totp')
      return reply.code(303).header('location', `/console/login?next=${encodeURIComponent(safeNext(next))}`).send()
    }
    return signedIn(request, reply, { id: user.id, username: user.username, role: user.role }, next)
  })

  area.post('/console/login/totp', { config: { permission: 'public', rateLimit: perAddressLimit(30, '1 minute') }, schema: { body: TOTP_FORM } }, async (request, reply) => {
    const { code, next } = request.body as { code: string; next?: string }
    const session = request.staffSession
    if (session?.stage !== 'totp' || session.user === null) return reply.code(303).header('location', '/console/login').send()
    const address = request.staffAddress
    if (await loginThrottled(deps.db, session.user.username, address)) throw appError(ERRORS.STAFF_LOGIN_THROTTLED)
    const user = await deps.db.selectFrom('staffUsers').select(['totpSecret', 'totpLastStep']).where('id', '=', session.user.id).executeTakeFirstOrThrow()
    const secret = user.totpSecret === null ? undefined : openTotpSecret(deps.totpKey, session.user.id, user.totpSecret)
    const step = secret === undefined ? null : verifyTotp(secret, code, new Date(), user.totpLastStep)
    if (step === null) {
      await recordLoginFailure(deps.db, session.user.username, address)
      return showLogin(request, reply, 401, 'That code is not valid; enter the current one from your authenticator app.')
    }
    // The step moves forward only: a code seen once can never be used again, on any instance.
    const used = await deps.db.updateTable('staffUsers').set({ totpLastStep: step }).where('id', '=', session.user.id).where((eb) => eb.or([eb('totpLastStep', 'is', null), eb('totpLastStep', '<', step)])).executeTakeFirst()
    if (Number(used.numUpdatedRows) !== 1) return showLogin(request, reply, 401, 'That code was already used; wait for the next one.')
    return signedIn(request, reply, session.user, next)
  })

  async function signedIn(request: FastifyRequest, reply: FastifyReply, user: { id: number; username: string; role: 'admin' | 'operator' | 'support' }, next: string | undefined) {
    await deps.sessions.rotate(request, reply, user.id, 'complete')
    await clearLoginFailures(deps.db, user.username)
    await purgeExpiredStaffSessions(deps.db)
    request.staff = { ...user, via: 'session' }
    await recordAudit(deps.db, { ...auditContext(request), action: 'staff.login', target: `staff:${user.username}` })
    return reply.code(303).header('location', safeNext(next)).send()
  }

  area.post('/console/logout', { config: { permission: 'public' } }, async (request, reply) => {
    if (request.staff !== null) {
      await recordAudit(deps.db, { ...auditContext(request), action: 'staff.logout', target: `staff:${request.staff.username}` })
    }
    await deps.sessions.rotate(request, reply, null, 'anonymous')
    return reply.code(303).header('location', '/console/login').send()
  })
}
