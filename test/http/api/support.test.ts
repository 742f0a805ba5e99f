// The admin API for automation: bearer tokens (hashed, revocable, created in the console), the
// generated OpenAPI document, support search/timeline/actions with their JSON schemas, masking by
// the token's role, and the rule that a console cookie may read the API but never change anything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchAudit } from '../../../src/audit/audit-log.ts'
import { createApiToken } from '../../../src/db/api-tokens.ts'
import { findAttempt } from '../../../src/db/attempts.ts'
import type { RechargeAttempt } from '../../../src/db/schema.ts'
import { buildTestApp, type TestApp } from '../../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts'
import { addNasClient } from '../../helpers/fixtures.ts'
import { type ConsoleSession, createStaffUser, signIn } from '../../helpers/staff.ts'
import { seedAttempt } from '../../helpers/support.ts'

describe('admin API', () => {
  let t: TestDatabase
  let test: TestApp
  let admin: ConsoleSession
  let supportToken: string
  let adminToken: string
  let attempt: RechargeAttempt
  const db = () => t.handle.db
  const api = (method: 'GET' | 'POST', url: string, token: string | null, body?: unknown) =>
    test.app.inject({ method, url, headers: token === null ? {} : { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) })

  beforeAll(async () => {
    t = await createTestDatabase()
    const nasId = await addNasClient(db(), { name: 'api-nas', address: '10.8.0.0/24', realm: 'default' })
    attempt = await seedAttempt(db(), { msisdn: '8613812340099', address: '10.8.0.99', nasId, acctSessionId: 'acct-99', serial: 'SER-0099', until: 'paid' })
    test = await buildTestApp(t.handle)
    await createStaffUser(db(), 'ada.admin', 'admin')
    admin = await signIn(test.app, 'ada.admin')
    supportToken = (await createApiToken(db(), { name: 'helpdesk-bot', role: 'support', createdBy: 'test' })).token
    adminToken = (await createApiToken(db(), { name: 'ops-automation', role: 'admin', createdBy: 'test' })).token
  })
  afterAll(async () => {
    await test.app.close()
    await t.destroy()
  })

  it('serves an OpenAPI 3.1 document generated from the route schemas, with bearer security on every non-public route', async () => {
    const res = await api('GET', '/api/v1/openapi.json', null)
    expect(res.statusCode).toBe(200)
    const doc = res.json()
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' })
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/attempts', '/api/v1/attempts/{id}', '/api/v1/attempts/{id}/retry-lift', '/api/v1/audit', '/api/v1/lines/{msisdn}/sessions']))
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/console'))).toBe(false)
    expect(doc.paths['/api/v1/attempts/{id}/refund'].post.security).toEqual([{ bearer: [] }])
    expect(doc.paths['/api/v1/attempts/{id}/refund'].post.requestBody.content['application/json'].schema.required).toEqual(['reason'])
    expect(doc.paths['/api/v1/openapi.json']).toBeUndefined()
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, { responses?: object }>>)) {
      for (const [method, operation] of Object.entries(operations)) expect(operation.responses, `${method} ${path}`).toHaveProperty('200')
    }
  })

  it('answers 401 with WWW-Authenticate for a missing, malformed, unknown or revoked token', async () => {
    const revoked = await createApiToken(db(), { name: 'old-script', role: 'admin', createdBy: 'test' })
    await db().updateTable('apiTokens').set({ revokedAt: new Date() }).where('name', '=', 'old-script').execute()
    for (const token of [null, 'not-a-token', `rgw_${'A'.repeat(43)}`, revoked.token]) {
      const res = await api('GET', '/api/v1/attempts?msisdn=0099', token)
      expect(res.statusCode, String(token)).toBe(401)
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/)
      expect(res.json().error).toBe('STAFF.UNAUTHENTICATED')
    }
  })

  it("searches and reads timelines with the token's role: masked for support, whole for admin", async () => {
    const masked = await api('GET', '/api/v1/attempts?msisdn=0099', supportToken)
    expect(masked.statusCode).toBe(200)
    expect(masked.json().attempts).toHaveLength(1)
    expect(masked.json().attempts[0]).toMatchObject({ id: attempt.id, reference: attempt.reference, msisdn: '138****0099', state: 'paid', voucherSerial: 'SER-0099', sourceAddress: '10.8.0.99' })
    const timeline = await api('GET', `/api/v1/attempts/${attempt.id}`, supportToken)
    expect(timeline.body).not.toContain('8613812340099')
    expect(timeline.json().events.map((e: { kind: string }) => e.kind)).toEqual(['created', 'paid'])
    const whole = await api('GET', `/api/v1/attempts/${attempt.id}`, adminToken)
    expect(whole.json().attempt.msisdn).toBe('8613812340099')
    expect((await api('GET', '/api/v1/attempts?msisdn=12', supportToken)).statusCode).toBe(400)
    expect((await api('GET', '/api/v1/attempts/does-not-exist', supportToken)).statusCode).toBe(404)
    const sessions = await api('GET', '/api/v1/lines/8613812340099/sessions', supportToken)
    expect(sessions.json()).toMatchObject({ line: '138****0099', sessions: [{ acctSessionId: 'acct-99', nasName: 'api-nas' }] })
  })

  it('requires a reason for actions, refuses what the state forbids, and audits the token as the actor', async () => {
    expect((await api('POST', `/api/v1/attempts/${attempt.id}/refund`, supportToken, {})).statusCode).toBe(400)
    expect((await api('POST', `/api/v1/attempts/${attempt.id}/refund`, supportToken, { reason: '    ' })).statusCode).toBe(400)
    const retry = await api('POST', `/api/v1/attempts/${attempt.id}/retry-lift`, supportToken, { reason: 'bot retry' })
    expect(retry.statusCode).toBe(409)
    expect(retry.json().error).toBe('SUPPORT.ACTION_REFUSED')
    const refund = await api('POST', `/api/v1/attempts/${attempt.id}/refund`, supportToken, { reason: 'chargeback from the bank' })
    expect(refund.statusCode).toBe(200)
    expect(refund.json()).toEqual({ done: true })
    expect((await findAttempt(db(), attempt.id))!.state).toBe('refunded')
    expect((await searchAudit(db(), { action: 'attempt.mark-refunded' }))[0]).toMatchObject({ actor: 'token:helpdesk-bot', via: 'token', reason: 'chargeback from the bank' })
    const disconnect = await api('POST', `/api/v1/attempts/${attempt.id}/disconnect`, supportToken, { reason: 'no network in this app' })
    expect(disconnect.statusCode).toBe(503)
  })

  it('lets a console session read the API but not change anything through it', async () => {
    const read = await test.app.inject({ url: `/api/v1/attempts/${attempt.id}`, headers: { cookie: admin.cookie } })
    expect(read.statusCode).toBe(200)
    const write = await test.app.inject({ method: 'POST', url: `/api/v1/attempts/${attempt.id}/retry-lift`, headers: { cookie: admin.cookie }, payload: { reason: 'cross-site attempt' } })
    expect(write.statusCode).toBe(401)
  })

  it('exports the audit log as CSV and JSON for roles with audit:read only', async () => {
    expect((await api('GET', '/api/v1/audit', supportToken)).statusCode).toBe(403)
    const json = await api('GET', '/api/v1/audit/export?format=json&action=attempt.', adminToken)
    expect(json.statusCode).toBe(200)
    expect(json.headers['content-disposition']).toMatch(/attachment; filename="audit-.*\.json"/)
    expect(json.json()[0]).toMatchObject({ action: 'attempt.mark-refunded', actor: 'token:helpdesk-bot' })
    const csv = await api('GET', '/api/v1/audit/export?format=csv&action=attempt.', adminToken)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    const [header, first] = csv.body.split('\r\n')
    expect(header).toBe('id,at,actor,via,action,target,reason,before,after,sourceAddress,requestId')
    expect(first).toContain('token:helpdesk-bot,token,attempt.mark-refunded')
    expect(first).toContain('"{""state"":""paid""}"')
    const page = await api('GET', '/api/v1/audit?limit=1', adminToken)
    expect(page.json().entries).toHaveLength(1)
    expect(page.json().nextBefore).toBe(page.json().entries[0].id)
  })

  it('creates a token in the console (shown once), which works until an admin revokes it', async () => {
    const created = await admin.post('/console/tokens', { name: 'grafana', role: 'support' })
    expect(created.statusCode).toBe(200)
    const token = /<pre id="new-token">(rgw_[^<]+)<\/pre>/.exec(created.body)![1]!
    expect((await api('GET', '/api/v1/attempts?msisdn=0099', token)).statusCode).toBe(200)
    expect((await admin.get('/console/tokens')).body).not.toContain(token)
    const row = await db().selectFrom('apiTokens').select('id').where('name', '=', 'grafana').executeTakeFirstOrThrow()
    expect((await admin.post(`/console/tokens/${row.id}/revoke`, {})).statusCode).toBe(303)
    expect((await api('GET', '/api/v1/attempts?msisdn=0099', token)).statusCode).toBe(401)
    const audit = await searchAudit(db(), { action: 'api-token.' })
    expect(audit.map((a) => a.action)).toEqual(['api-token.revoke', 'api-token.create'])
    expect(JSON.stringify(audit)).not.toContain(token)
  })

  it('lists tokens without their secrets and revokes one for admins only', async () => {
    expect((await api('GET', '/api/v1/tokens', supportToken)).statusCode).toBe(403)
    const list = await api('GET', '/api/v1/tokens', adminToken)
    expect(list.statusCode).toBe(200)
    expect(list.body).not.toContain(supportToken)
    const bot = list.json().tokens.find((x: { name: string }) => x.name === 'helpdesk-bot')
    expect(bot).toMatchObject({ role: 'support', prefix: supportToken.slice(0, 10), revokedAt: null })
    expect(bot).not.toHaveProperty('tokenHash')
    const revoked = await api('POST', `/api/v1/tokens/${bot.id}/revoke`, adminToken)
    expect(revoked.statusCode).toBe(200)
    expect(revoked.json().revokedAt).not.toBeNull()
    expect((await api('GET', '/api/v1/attempts?msisdn=0099', supportToken)).statusCode).toBe(401)
    expect((await api('POST', `/api/v1/tokens/${bot.id}/revoke`, adminToken)).statusCode).toBe(404)
    expect((await searchAudit(db(), { action: 'api-token.revoke', actor: 'token:ops-automation' }))[0]).toMatchObject({ target: 'api-token:helpdesk-bot' })
  })
})
