// Who is asking, and may they: resolves request.staff from the console session cookie or an API
// bearer token, then enforces the route's declared permission (config.permission) — in one
// onRequest hook, before any body is read. POST forms are checked for their CSRF token in one
// preHandler. Installed only inside the staff area, so the portal and the catch-all never pay.
import { timingSafeEqual } from 'node:crypto'
import cookie from '@fastify/cookie'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { findApiToken } from '../../db/api-tokens.ts'
import type { Database } from '../../db/schema.ts'
import { createStaffSession, deleteStaffSession, findStaffSession, purgeExpiredStaffSessions, type StaffSession, touchStaffSession } from '../../db/staff-sessions.ts'
import { appError, ERRORS } from '../../errors.ts'
import { type Role, roleAllows } from '../../staff/permissions.ts'

/** The signed-in staff member or API token behind a request. */
export interface StaffIdentity {
  id: number
  username: string
  role: Role
  via: 'session' | 'token'
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking (null: nobody signed in, or a session still waiting for its second factor). */
    staff: StaffIdentity | null
    /** The console session, signed in or not (null when the request carries none). */
    staffSession: StaffSession | null
    /** The client's address as identification sees it (through trusted proxies), for throttling and audit. */
    staffAddress: string
  }
}

/** What the auth layer needs. */
export interface StaffAuthDeps {
  db: Kysely<Database>
  /** Set the cookie's Secure flag (the portal is served over TLS). */
  secureCookies: boolean
  /** The client's address (the socket's, or a trusted proxy's forwarded one). */
  clientAddress: (request: FastifyRequest) => string
}

/** Starts and ends sessions for the login pages. */
export interface StaffSessions {
  /** Replace the request's session (if any) by a new one: the id changes at every sign-in step and at sign-out. */
  rotate(request: FastifyRequest, reply: FastifyReply, staffId: number | null, stage: StaffSession['stage']): Promise<void>
  /** A session for a signed-out visitor, so the login form has a CSRF token; reuses a live one. */
  ensure(request: FastifyRequest, reply: FastifyReply): Promise<string>
}

const API_PREFIX = '/api/v1'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** The CSRF token a console form must carry in its hidden `_csrf` field. */
export const CSRF_FIELD = '_csrf'

/** Install cookie parsing, request.staff and the permission and CSRF checks on `area`. */
export async function registerStaffAuth(area: FastifyInstance, deps: StaffAuthDeps): Promise<StaffSessions> {
  const cookieName = deps.secureCookies ? '__Host-rg-staff' : 'rg-staff'
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict', secure: deps.secureCookies } as const
  await area.register(cookie)
  area.decorateRequest('staff', null)
  area.decorateRequest('staffSession', null)
  area.decorateRequest('staffAddress', '')

  async function resolve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const isApi = request.url.startsWith(API_PREFIX)
    const authorization = request.headers.authorization
    if (isApi && authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization)
      const token = match === null ? undefined : await findApiToken(deps.db, match[1]!)
      if (token === undefined) throw unauthenticated(reply, 'invalid or revoked API token')
      request.staff = { id: token.id, username: `token:${token.name}`, role: token.role, via: 'token' }
      return
    }
    const id = request.cookies[cookieName]
    if (id === undefined || id.length > 64) return
    const session = await findStaffSession(deps.db, id)
    if (session === undefined) return
    request.staffSession = session
    await touchStaffSession(deps.db, session)
    // The API takes a session only for reading: anything that changes state needs a token
    // (no CSRF token travels with API calls).
    if (session.stage === 'complete' && session.user !== null && (!isApi || SAFE_METHODS.has(request.method))) {
      request.staff = { ...session.user, via: 'session' }
    }
  }

  area.addHook('onRequest', async (request, reply) => {
    request.staffAddress = deps.clientAddress(request)
    await resolve(request, reply)
    const access = request.routeOptions.config.permission
    if (access === 'public') return
    if (access === undefined) throw appError(ERRORS.STAFF_FORBIDDEN) // unreachable: route-access.ts refuses such routes
    if (request.staff === null) {
      if (!request.url.startsWith(API_PREFIX) && request.method === 'GET') {
        return reply.code(303).header('location', `/console/login?next=${encodeURIComponent(request.url)}`).send()
      }
      throw unauthenticated(reply)
    }
    if (!roleAllows(request.staff.role, access)) throw appError(ERRORS.STAFF_FORBIDDEN)
  })

  area.addHook('preHandler', async (request) => {
    if (SAFE_METHODS.has(request.method) || request.url.startsWith(API_PREFIX)) return
    const sent = (request.body as Record<string, unknown> | undefined)?.[CSRF_FIELD]
    const expected = request.staffSession?.csrfToken
    if (typeof sent !== 'string' || expected === undefined || !sameText(sent, expected)) throw appError(ERRORS.STAFF_CSRF)
  })

  area.addHook('onSend', async (_request, reply) => {
    // Console pages and API answers are per user: never cached by a shared cache or the browser.
    reply.header('cache-control', 'no-store')
  })

  return {
    async rotate(request, reply, staffId, stage) {
      if (request.staffSession !== null) await deleteStaffSession(deps.db, request.staffSession.idHash)
      const { id } = await createStaffSession(deps.db, staffId, stage)
      request.staffSession = await findStaffSession(deps.db, id) ?? null
      reply.setCookie(cookieName, id, cookieOptions)
    },
    async ensure(request, reply) {
      if (request.staffSession !== null) return request.staffSession.csrfToken
      await purgeExpiredStaffSessions(deps.db)
      const { id, csrfToken } = await createStaffSession(deps.db, null, 'anonymous')
      request.staffSession = await findStaffSession(deps.db, id) ?? null
      reply.setCookie(cookieName, id, cookieOptions)
      return csrfToken
    },
  }
}

function unauthenticated(reply: FastifyReply, message?: string) {
  if (reply.request.url.startsWith(API_PREFIX)) reply.header('www-authenticate', 'Bearer realm="recharge-gateway"')
  return appError(ERRORS.STAFF_UNAUTHENTICATED, message === undefined ? undefined : `${ERRORS.STAFF_UNAUTHENTICATED.message}: ${message}`)
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
