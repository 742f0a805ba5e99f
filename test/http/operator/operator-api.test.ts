// The operator's admin API with a bearer token: NAS clients (the secret is accepted, never
// returned), a test CoA that times out, settings (stored and in force), the YAML file and the
// allowlist — all in the OpenAPI document, each refused to a role without the permission.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchAudit } from '../../../src/audit/audit-log.ts'
import { createApiToken } from '../../../src/db/api-tokens.ts'
import { buildTestApp, type TestApp } from '../../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts'
import { freePort } from '../../helpers/process.ts'

const SECRET = 'api-nas-secret-123'

describe('operator admin API', { timeout: 60_000 }, () => {
  let t: TestDatabase
  let a: TestApp
  let ops: string
  let support: string

  beforeAll(async () => {
    t = await createTestDatabase()
    a = await buildTestApp(t.handle)
    ops = (await createApiToken(t.handle.db, { name: 'noc-robot', role: 'operator', createdBy: 'test' })).token
    support = (await createApiToken(t.handle.db, { name: 'helpdesk', role: 'support', createdBy: 'test' })).token
  })
  afterAll(async () => {
    await a?.app.close()
    await t?.destroy()
  })

  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, token = ops) =>
    a.app.inject({ method, url, headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, ...(body === undefined ? {} : { payload: body as object }) })

  it('creates, reads, changes and removes a NAS client without ever returning its secret', async () => {
    const created = await call('POST', '/api/v1/nas', { name: 'pgw-api', address: '198.51.100.0/24', coaHost: '198.51.100.1', secret: SECRET, liftProfile: 'disconnect', reason: 'APN b' })
    expect(created.statusCode).toBe(200)
    expect(created.json()).toMatchObject({ name: 'pgw-api', address: '198.51.100.0/24', secretSet: true, liftProfile: 'disconnect', requireMessageAuthenticator: true })
    const id = created.json().id as number
    for (const res of [created, await call('GET', '/api/v1/nas'), await call('GET', `/api/v1/nas/${id}`)]) expect(res.body).not.toContain(SECRET)

    const changed = await call('PUT', `/api/v1/nas/${id}`, { name: 'pgw-api', address: '198.51.100.0/24', coaHost: '198.51.100.2', liftProfile: 'coa' })
    expect(changed.statusCode).toBe(200)
    expect(changed.json()).toMatchObject({ coaHost: '198.51.100.2', liftProfile: 'coa', secretChangedAt: created.json().secretChangedAt })

    const conflict = await call('POST', '/api/v1/nas', { name: 'pgw-api', address: '203.0.113.9', secret: SECRET })
    expect(conflict.statusCode).toBe(409)
    expect(conflict.json().error).toBe('CONFIG.NAS_CONFLICT')
    const invalid = await call('POST', '/api/v1/nas', { name: 'n2', address: '10.1.2.3/8' })
    expect(invalid.statusCode).toBe(400)
    expect(invalid.json()).toMatchObject({ error: 'CONFIG.INVALID' })
    expect(invalid.json().message).toContain('nas.address: 10.1.2.3/8 has host bits set: did you mean 10.0.0.0/8?')
    expect(invalid.json().message).toContain('nas.secret: a new NAS client needs its shared secret')

    expect((await call('DELETE', `/api/v1/nas/${id}?reason=${encodeURIComponent('APN b retired')}`)).statusCode).toBe(200)
    expect((await call('GET', `/api/v1/nas/${id}`)).statusCode).toBe(404)
    const actions = (await searchAudit(t.handle.db, { target: `nas:${id}`, limit: 10 })).map((e) => [e.action, e.actor, e.reason])
    expect(actions).toEqual([['nas.delete', 'token:noc-robot', 'APN b retired'], ['nas.update', 'token:noc-robot', null], ['nas.create', 'token:noc-robot', 'APN b']])
  })

  it('reports a test CoA to a NAS that never answers as TIMEOUT', async () => {
    const port = await freePort()
    const nas = (await call('POST', '/api/v1/nas', { name: 'silent', address: '127.0.0.3', coaHost: '127.0.0.1', coaPort: port, secret: SECRET })).json()
    const res = await call('POST', `/api/v1/nas/${nas.id}/test-coa`, { acctSessionId: 's-1' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ outcome: 'TIMEOUT', errorCause: null, kind: 'coa', to: `127.0.0.1:${port}`, sends: 3, responseHex: null })
  })

  it('changes settings, shows stored and in-force values, and puts a null back to the default', async () => {
    const before = (await call('GET', '/api/v1/settings')).json()
    expect(before.inForce).toMatchObject({ hotline: '10086', captiveApiUrl: 'http://localhost:8080/.well-known/captive-portal' })
    const patched = await call('PATCH', '/api/v1/settings', { settings: { currency: 'usd', captiveApiUrl: 'https://portal.carrier.test/.well-known/captive-portal' }, reason: 'TLS terminator' })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ stored: { currency: 'USD', captiveApiUrl: 'https://portal.carrier.test/.well-known/captive-portal' }, inForce: { currency: 'USD' } })
    const bad = await call('PATCH', '/api/v1/settings', { settings: { currency: 'dollars', ussd: '' } })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().message).toContain('settings.currency: expected an ISO 4217 code like CNY')
    const reset = await call('PATCH', '/api/v1/settings', { settings: { currency: null } })
    expect(reset.json().inForce.currency).toBe('CNY')
    expect(reset.json().stored.currency).toBeUndefined()
  })

  it('exports and imports the YAML file (dry run included) and serves the allowlist', async () => {
    const yaml = await call('GET', '/api/v1/config')
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/)
    expect(yaml.body).toContain('name: silent')
    expect(yaml.body).not.toContain(SECRET)
    const post = (query: string, body: string) => a.app.inject({ method: 'POST', url: `/api/v1/config${query}`, headers: { authorization: `Bearer ${ops}`, 'content-type': 'application/yaml' }, payload: body })
    const dry = await post('?dryRun=true', yaml.body)
    expect(dry.json()).toMatchObject({ dryRun: true, nasAdded: [], nasRemoved: [] })
    const cleared = await post('?reason=reset', 'version: 1\n')
    expect(cleared.json()).toMatchObject({ dryRun: false, nasRemoved: ['silent'], settingsCleared: ['captiveApiUrl'] })
    const wrong = await post('', 'version: 1\nsettings: { hotline: "<b>" }\n')
    expect(wrong.statusCode).toBe(400)
    expect(wrong.json().message).toContain('settings.hotline: expected a short printable text')

    const list = await call('GET', '/api/v1/allowlist')
    expect(JSON.parse(list.body).hosts).toContain('localhost')
    expect((await call('GET', '/api/v1/allowlist.txt?only=hosts')).body).toBe('localhost\n')
  })

  it('documents every operator route in the OpenAPI document and refuses them to the support role', async () => {
    const paths = Object.keys((await a.app.inject('/api/v1/openapi.json')).json().paths)
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/nas', '/api/v1/nas/{id}', '/api/v1/nas/{id}/test-coa', '/api/v1/settings', '/api/v1/config', '/api/v1/allowlist', '/api/v1/allowlist.txt']))
    expect((await call('GET', '/api/v1/nas', undefined, support)).statusCode).toBe(403)
    expect((await call('PATCH', '/api/v1/settings', { settings: { hotline: '1' } }, support)).statusCode).toBe(403)
  })
})
