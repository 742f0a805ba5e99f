// Console sign-in: Argon2id password check, session cookie flags, a new session id at sign-in
// and sign-out, CSRF on the form, throttling held in the database across instances, and the
// optional TOTP second factor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchAudit } from '../../../src/audit/audit-log.ts'
import { LOGIN_THROTTLE } from '../../../src/staff/login-throttle.ts'
import { totpCode } from '../../../src/staff/totp.ts'
import { buildTestApp, type TestApp } from '../../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts'
import { consoleSession, createStaffUser, csrfOf, openLoginPage, sessionCookie, signIn, TEST_PASSWORD } from '../../helpers/staff.ts'

describe('console sign-in', () => {
  let t: TestDatabase
  let test: TestApp
  beforeAll(async () => {
    t = await createTestDatabase()
    test = await buildTestApp(t.handle)
    await createStaffUser(t.handle.db, 'ada.admin', 'admin')
  })
  afterAll(async () => {
    await test.app.close()
    await t.destroy()
  })

  it('sets an HttpOnly, SameSite=Strict cookie and a new session id at sign-in; the old id is dead', async () => {
    const login = await openLoginPage(test.app)
    const page = await test.app.inject({ url: '/console/login' })
    expect(page.headers['set-cookie']).toMatch(/HttpOnly/)
    expect(page.headers['set-cookie']).toMatch(/SameSite=Strict/)
    expect(page.headers['set-cookie']).not.toMatch(/Secure/)
    expect(page.headers['cache-control']).toBe('no-store')
    // The portal's security headers apply here too: no script may run on a console page.
    expect(page.headers['content-security-policy']).toMatch(/^default-src 'none';/)
    expect(page.headers['content-security-policy']).not.toMatch(/script-src/)
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.body).not.toMatch(/<script/i)
    const res = await login.post('/console/login', { username: 'ada.admin', password: TEST_PASSWORD, next: '/console/audit' })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/console/audit')
    const cookie = sessionCookie(res)!
    expect(cookie).not.toBe(login.cookie)
    expect((await test.app.inject({ url: '/console/audit', headers: { cookie } })).statusCode).toBe(200)
    expect((await test.app.inject({ url: '/console/audit', headers: { cookie: login.cookie } })).statusCode).toBe(303)
    const entries = await searchAudit(t.handle.db, { action: 'staff.login' })
    expect(entries[0]).toMatchObject({ actor: 'ada.admin', via: 'session', target: 'staff:ada.admin' })
  })

  it('never redirects outside the console after sign-in', async () => {
    for (const next of ['https://evil.example/', '//evil.example/console', '/console/../portal', '/console/%2e%2e/portal', '/consolex', '/\\evil.example/console']) {
      const login = await openLoginPage(test.app)
      const res = await login.post('/console/login', { username: 'ada.admin', password: TEST_PASSWORD, next })
      expect(res.headers.location, next).toBe('/console')
    }
  })

  it('answers a wrong password with 401 and the form again, without saying which part was wrong', async () => {
    const login = await openLoginPage(test.app)
    for (const [username, password] of [['ada.admin', 'wrong password!'], ['nobody.here', TEST_PASSWORD]] as const) {
      const res = await login.post('/console/login', { username, password })
      expect(res.statusCode).toBe(401)
      expect(res.body).toContain('Wrong username or password.')
      expect(sessionCookie(res)).toBeUndefined()
    }
  })

  it('refuses a form without the session CSRF token', async () => {
    const login = await openLoginPage(test.app)
    const res = await test.app.inject({ method: 'POST', url: '/console/login', headers: { cookie: login.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, payload: `username=ada.admin&password=${encodeURIComponent(TEST_PASSWORD)}&_csrf=forged` })
    expect(res.statusCode).toBe(403)
    expect(res.json().error).toBe('STAFF.CSRF')
    const bare = await test.app.inject({ method: 'POST', url: '/console/login', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, payload: `username=ada.admin&password=x` })
    expect(bare.json().error).toBe('STAFF.CSRF')
  })

  it('signs out with a new session id, and the signed-in id no longer works', async () => {
    const session = await signIn(test.app, 'ada.admin')
    const res = await session.post('/console/logout', {})
    expect(res.statusCode).toBe(303)
    const next = sessionCookie(res)!
    expect(next).not.toBe(session.cookie)
    expect((await test.app.inject({ url: '/console/audit', headers: { cookie: session.cookie } })).statusCode).toBe(303)
    expect((await test.app.inject({ url: '/console/audit', headers: { cookie: next } })).statusCode).toBe(303)
    expect((await searchAudit(t.handle.db, { action: 'staff.logout' })).length).toBe(1)
  })

  it('ends a session at its expiry and when its user is disabled, and purges expired ones', async () => {
    const expiring = await signIn(test.app, 'ada.admin')
    await t.handle.db.updateTable('staffSessions').set({ expiresAt: new Date(Date.now() - 1000) }).where('staffId', 'is not', null).execute()
    expect((await expiring.get('/console/audit')).statusCode).toBe(303)
    await openLoginPage(test.app) // a new visitor's session purges the expired ones
    expect(await t.handle.db.selectFrom('staffSessions').select('stage').where('expiresAt', '<=', new Date()).execute()).toEqual([])

    await createStaffUser(t.handle.db, 'dora.disabled', 'admin')
    const session = await signIn(test.app, 'dora.disabled')
    expect((await session.get('/console/audit')).statusCode).toBe(200)
    await t.handle.db.updateTable('staffUsers').set({ disabled: true }).where('username', '=', 'dora.disabled').execute()
    expect((await session.get('/console/audit')).statusCode).toBe(303)
    expect((await (await openLoginPage(test.app)).post('/console/login', { username: 'dora.disabled', password: TEST_PASSWORD })).statusCode).toBe(401)
  })

  it('throttles a username after repeated failures, on every instance sharing the database', async () => {
    await createStaffUser(t.handle.db, 'tim.target', 'support')
    const other = await buildTestApp(t.handle)
    try {
      for (let i = 0; i < LOGIN_THROTTLE.perUser; i++) {
        const app = i % 2 === 0 ? test.app : other.app
        const res = await (await openLoginPage(app)).post('/console/login', { username: 'tim.target', password: `guess number ${i}` })
        expect(res.statusCode).toBe(401)
      }
      for (const app of [test.app, other.app]) {
        const res = await (await openLoginPage(app)).post('/console/login', { username: 'tim.target', password: TEST_PASSWORD })
        expect(res.statusCode).toBe(429)
        expect(res.body).toContain('Too many failed sign-ins')
      }
    } finally {
      await other.app.close()
    }
    // Other users are not locked out by it.
    await expect(signIn(test.app, 'ada.admin')).resolves.toBeDefined()
  })

  it('marks the cookie Secure (with the __Host- prefix) when the portal is served over https', async () => {
    const tls = await buildTestApp(t.handle, { PORTAL_URL: 'https://portal.example' })
    try {
      const page = await tls.app.inject({ url: '/console/login', headers: { host: 'portal.example' } })
      expect(page.headers['set-cookie']).toMatch(/^__Host-rg-staff=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/)
    } finally {
      await tls.app.close()
    }
  })

  it('asks for a TOTP code after the password once enrolled, and accepts each code only once', async () => {
    await createStaffUser(t.handle.db, 'toni.totp', 'support')
    const session = await signIn(test.app, 'toni.totp')
    expect((await session.post('/console/account/totp/start', {})).statusCode).toBe(303)
    const page = await session.get('/console/account')
    const secret = /Key: <code>([A-Z2-7]+)<\/code>/.exec(page.body)![1]!
    const stored = await t.handle.db.selectFrom('staffUsers').select('totpSecret').where('username', '=', 'toni.totp').executeTakeFirstOrThrow()
    expect(stored.totpSecret).toMatch(/^v1\./) // sealed at rest, not the key itself
    expect(stored.totpSecret).not.toContain(secret)
    const wrong = await session.post('/console/account/totp/confirm', { code: '000000' === totpCode(secret, new Date()) ? '111111' : '000000' })
    expect(wrong.statusCode).toBe(400)
    const enrolled = await session.post('/console/account/totp/confirm', { code: totpCode(secret, new Date()) })
    expect(enrolled.statusCode).toBe(303)
    expect((await session.get('/console/account')).statusCode).toBe(303) // every session of the user ended; this one rotated
    const rotated = consoleSession(test.app, sessionCookie(enrolled)!, session.csrf)
    expect((await rotated.get('/console/account')).body).toContain('is <strong>on</strong>')

    const login = await openLoginPage(test.app)
    const step1 = await login.post('/console/login', { username: 'toni.totp', password: TEST_PASSWORD })
    expect(step1.statusCode).toBe(303)
    const pending = sessionCookie(step1)!
    expect((await test.app.inject({ url: '/console/audit', headers: { cookie: pending } })).statusCode).toBe(303) // not signed in yet
    const form = await test.app.inject({ url: '/console/login', headers: { cookie: pending } })
    expect(form.body).toContain('Second factor')
    const half = consoleSession(test.app, pending, csrfOf(form.body))
    const reused = await half.post('/console/login/totp', { code: totpCode(secret, new Date()) })
    expect(reused.statusCode).toBe(401) // the enrolment already used this step's code
    const next = await half.post('/console/login/totp', { code: totpCode(secret, new Date(Date.now() + 30_000)) })
    expect(next.statusCode).toBe(303)
    expect(sessionCookie(next)).not.toBe(pending)
    expect((await test.app.inject({ url: '/console', headers: { cookie: sessionCookie(next)! } })).body).toContain('toni.totp')
  })
})
