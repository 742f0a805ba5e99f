// Staff users and signed-in console sessions for tests, through the real login form.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.ts'
import { hashPassword } from '../../src/staff/password.ts'
import type { Role } from '../../src/staff/permissions.ts'

/** A console session as a browser would hold it. */
export interface ConsoleSession {
  cookie: string
  csrf: string
  /** GET `url` with the session. */
  get(url: string): Promise<LightMyRequestResponse>
  /** POST a form to `url` with the session and its CSRF token. */
  post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse>
}

/** The password every test user gets. */
export const TEST_PASSWORD = 'correct horse battery staple'

/** Create a staff user; returns its id. */
export async function createStaffUser(db: Kysely<Database>, username: string, role: Role, password = TEST_PASSWORD): Promise<number> {
  const row = await db.insertInto('staffUsers').values({ username, role, passwordHash: await hashPassword(password), totpSecret: null, totpEnabledAt: null, totpLastStep: null }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

/** The `name=value` of the session cookie set by `res`, if any. */
export function sessionCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const raw = res.headers['set-cookie']
  const all = raw === undefined ? [] : ([] as string[]).concat(raw as string | string[])
  return all.map((c) => c.split(';')[0]!).find((c) => c.startsWith('rg-staff=') || c.startsWith('__Host-rg-staff='))
}

/** The CSRF token in a console page's forms. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (match === null) throw new Error(`no CSRF field in page: ${html.slice(0, 300)}`)
  return match[1]!
}

/** A session for the signed-out login page (anonymous), as the first GET gives it. */
export async function openLoginPage(app: FastifyInstance): Promise<ConsoleSession> {
  const page = await app.inject({ url: '/console/login' })
  const cookie = sessionCookie(page)
  if (page.statusCode !== 200 || cookie === undefined) throw new Error(`login page: ${page.statusCode}`)
  return consoleSession(app, cookie, csrfOf(page.body))
}

/** Sign in through the form; throws unless it succeeds. */
export async function signIn(app: FastifyInstance, username: string, password = TEST_PASSWORD): Promise<ConsoleSession> {
  const login = await openLoginPage(app)
  const res = await login.post('/console/login', { username, password })
  const cookie = sessionCookie(res)
  if (res.statusCode !== 303 || cookie === undefined) throw new Error(`sign-in of ${username}: ${res.statusCode} ${res.body.slice(0, 300)}`)
  const home = await app.inject({ url: '/console', headers: { cookie } })
  return consoleSession(app, cookie, csrfOf(home.body))
}

/** A session object over an existing cookie. */
export function consoleSession(app: FastifyInstance, cookie: string, csrf: string): ConsoleSession {
  return {
    cookie,
    csrf,
    get: (url) => app.inject({ url, headers: { cookie, accept: 'text/html' } }),
    post: (url, form) => app.inject({ method: 'POST', url, headers: { cookie, accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, ...form }).toString() }),
  }
}
