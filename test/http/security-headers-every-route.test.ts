// Every route the app registers — read from Fastify's own route tree, so a route added later is
// covered without touching this file — answers every method it has with the security headers,
// whatever the status (success, bad input, not found, error).
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHostedPsp } from '../../src/adapters/payment/hosted-psp.ts'
import { SANDBOX_MERCHANT } from '../../src/config/psp-config.ts'
import { SECURITY_HEADERS } from '../../src/http/plugins/security-headers.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { freePort } from '../helpers/process.ts'

/** [method, path] of every registered route, from printRoutes()'s tree ("│   └── /return (GET, HEAD)"). */
function registeredRoutes(app: FastifyInstance): [string, string][] {
  const routes: [string, string][] = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line.replace(/\s+$/, ''))
    if (m === null) continue
    const depth = m[1]!.length / 4
    stack.length = depth
    stack.push(m[2]!)
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) routes.push([method, stack.join('')])
  }
  return routes
}

/** A concrete URL for a route pattern: every parameter gets a well-formed sample value. */
function concrete(path: string): string {
  return path.replace(/:[A-Za-z_]+/g, 'AAAAAAAAAAAAAAAAAAAAAA').replace(/\*/g, 'x')
}

describe('security headers on every registered route', () => {
  let t: TestDatabase
  let a: TestApp

  beforeAll(async () => {
    t = await createTestDatabase()
    // Card payments on, so their routes exist too; the provider's port has nobody listening.
    const psp = createHostedPsp({ url: `http://127.0.0.1:${await freePort()}`, ...SANDBOX_MERCHANT, timeoutMs: 500 })
    a = await buildTestApp(t.handle, { PORTAL_URL: 'http://portal.carrier.test' }, { psp })
  })
  afterAll(async () => {
    await a?.app.close()
    await t?.destroy()
  })

  it('finds the routes (the walk is not empty or half-read)', () => {
    const routes = registeredRoutes(a.app).map(([m, p]) => `${m} ${p}`)
    for (const known of ['GET /portal', 'GET /healthz', 'GET /readyz', 'GET /metrics', 'POST /recharge/voucher', 'GET /recharge/:id', 'GET /recharge/:id/return', 'POST /webhooks/psp']) {
      expect(routes).toContain(known)
    }
  })

  it('each method of each route answers with every security header', { timeout: 60_000 }, async () => {
    const seen: string[] = []
    for (const [method, path] of registeredRoutes(a.app)) {
      const url = concrete(path)
      for (const accept of ['text/html', 'application/json']) {
        const res = await a.app.inject({
          method: method as 'GET',
          url,
          headers: { host: 'portal.carrier.test', accept, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
          ...(method === 'POST' ? { payload: 'serial=1234&pin=0000' } : {}),
          remoteAddress: '10.7.0.1',
        })
        const label = `${method} ${url} (${accept}) → ${res.statusCode}`
        seen.push(label)
        for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
          if (name === 'content-security-policy') {
            // A page with a card form widens form-action; the rest of the policy stays.
            expect(String(res.headers[name]), label).toContain("default-src 'none'")
            expect(String(res.headers[name]), label).toContain("frame-ancestors 'none'")
          } else {
            expect(res.headers[name], `${label}: ${name}`).toBe(value)
          }
        }
      }
    }
    expect(seen.length).toBeGreaterThanOrEqual(2 * 15)
  })
})
