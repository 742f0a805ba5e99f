// Every console page and admin API route declares a permission, and the declaration is enforced:
// the app cannot be built with an undeclared route, and walking every registered route proves that
// a signed-out caller is turned away and a role without the permission is refused.
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiToken } from '../../../src/db/api-tokens.ts'
import { registerRouteAccessCheck } from '../../../src/http/staff/route-access.ts'
import { PERMISSIONS, roleAllows } from '../../../src/staff/permissions.ts'
import { buildTestApp, type TestApp } from '../../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts'
import { type ConsoleSession, createStaffUser, signIn } from '../../helpers/staff.ts'

describe('route permissions', () => {
  let t: TestDatabase
  let test: TestApp
  let support: ConsoleSession
  let supportToken: string

  beforeAll(async () => {
    t = await createTestDatabase()
    test = await buildTestApp(t.handle)
    await createStaffUser(t.handle.db, 'sam.support', 'support')
    support = await signIn(test.app, 'sam.support')
    supportToken = (await createApiToken(t.handle.db, { name: 'support-bot', role: 'support', createdBy: 'test' })).token
  })
  afterAll(async () => {
    await test.app.close()
    await t.destroy()
  })

  it('refuse to build an app with a console or API route that declares no permission', async () => {
    for (const url of ['/console/undeclared', '/api/v1/undeclared']) {
      const app = Fastify()
      registerRouteAccessCheck(app)
      await expect(async () => {
        app.get(url, async () => 'x')
        await app.ready()
      }).rejects.toThrow(/declares no valid permission/)
      await app.close()
    }
  })

  it('refuse an API route without a response schema, and an unknown permission', async () => {
    const app = Fastify()
    registerRouteAccessCheck(app)
    expect(() => app.get('/api/v1/no-schema', { config: { permission: 'support:read' } }, async () => ({}))).toThrow(/no response schema/)
    expect(() => app.get('/console/typo', { config: { permission: 'support:raed' as never } }, async () => 'x')).toThrow(/declares no valid permission/)
    await app.close()
  })

  it('leave routes outside the console and the API alone', async () => {
    const app = Fastify()
    registerRouteAccessCheck(app)
    app.get('/portal-like', async () => 'x')
    await app.ready()
    expect(app.staffRoutes).toEqual([])
    await app.close()
  })

  it('list every console and API route of the real app with a known permission', () => {
    const routes = test.app.staffRoutes
    expect(routes.length).toBeGreaterThan(5)
    for (const route of routes) expect([...PERMISSIONS, 'public']).toContain(route.permission)
    expect(routes).toContainEqual({ method: 'GET', url: '/console/login', permission: 'public' })
    expect(routes).toContainEqual({ method: 'GET', url: '/api/v1/openapi.json', permission: 'public' })
  })

  it('turn a signed-out caller away from every route that is not public', async () => {
    const guarded = test.app.staffRoutes.filter((r) => r.permission !== 'public' && r.method !== 'HEAD')
    expect(guarded.length).toBeGreaterThan(3)
    for (const route of guarded) {
      const url = route.url.replace(/:(\w+)/g, 'x1')
      const res = await test.app.inject({ method: route.method as 'GET', url, headers: { accept: 'application/json' } })
      const isConsoleGet = url.startsWith('/console') && route.method === 'GET'
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(isConsoleGet ? 303 : 401)
      if (isConsoleGet) expect(res.headers.location).toBe(`/console/login?next=${encodeURIComponent(url)}`)
      else expect(res.json().error).toBe('STAFF.UNAUTHENTICATED')
    }
  })

  it('refuse the support role (console session, or API token) every route whose permission it lacks, before reading any form', async () => {
    const refused = test.app.staffRoutes.filter((r) => r.permission !== 'public' && !roleAllows('support', r.permission) && r.method !== 'HEAD')
    expect(refused.length).toBeGreaterThan(0)
    for (const route of refused) {
      const url = route.url.replace(/:(\w+)/g, 'x1')
      // The API takes a session cookie for reading only; changes need a token.
      const credentials = url.startsWith('/api/v1') ? { authorization: `Bearer ${supportToken}` } : { cookie: support.cookie }
      const res = await test.app.inject({ method: route.method as 'GET', url, headers: { ...credentials, accept: 'application/json' } })
      expect(res.statusCode, `${route.method} ${route.url}`).toBe(403)
      expect(res.json().error).toBe('STAFF.FORBIDDEN')
    }
  })
})
