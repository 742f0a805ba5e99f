// The operator's console pages: NAS clients (secret write-only, test CoA against FreeRADIUS as the
// NAS), settings and texts that the portal uses at once, the allowlist and the YAML file — every
// change audited with its reason, in the same transaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchAudit } from '../../../src/audit/audit-log.ts'
import { findNasClientByName } from '../../../src/db/nas-clients.ts'
import { buildTestApp, type TestApp } from '../../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts'
import { addLines, addNasClient, startSessions } from '../../helpers/fixtures.ts'
import { freeradiusPath, peerAvailable } from '../../helpers/peers.ts'
import { type ConsoleSession, createStaffUser, signIn } from '../../helpers/staff.ts'
import { type FreeRadius, startFreeRadius } from '../../radius/helpers/freeradius.ts'

const SECRET = 'console-nas-secret-1'
const freeradius = freeradiusPath()
const haveRadius = peerAvailable('freeradius', freeradius ? undefined : 'freeradius not installed (Debian package freeradius)')

describe('operator console pages', { timeout: 60_000 }, () => {
  let t: TestDatabase
  let a: TestApp
  let ops: ConsoleSession
  let support: ConsoleSession

  beforeAll(async () => {
    t = await createTestDatabase()
    a = await buildTestApp(t.handle)
    await createStaffUser(t.handle.db, 'olga.ops', 'operator')
    await createStaffUser(t.handle.db, 'sam.support', 'support')
    ops = await signIn(a.app, 'olga.ops')
    support = await signIn(a.app, 'sam.support')
  })
  afterAll(async () => {
    await a?.app.close()
    await t?.destroy()
  })

  const nasForm = (fields: Record<string, string> = {}) => ({ name: 'bng-console', address: '127.0.0.1', realm: 'default', secret: SECRET, requireMessageAuthenticator: 'on', coaHost: '', coaPort: '3799', liftProfile: 'coa', coaAttributes: 'Filter-Id = open', reason: 'new BNG in site A', ...fields })

  it('adds a NAS client, never shows its secret again, and audits it with the reason', async () => {
    const res = await ops.post('/console/nas', nasForm())
    expect(res.statusCode).toBe(303)
    const page = await ops.get(res.headers.location as string)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('NAS client bng-console')
    expect(page.body).toMatch(/Shared secret: set, last changed/)
    expect(page.body).not.toContain(SECRET)
    expect((await ops.get('/console/nas')).body).not.toContain(SECRET)
    const [entry] = await searchAudit(t.handle.db, { action: 'nas.create', limit: 10 })
    expect(entry).toMatchObject({ actor: 'olga.ops', reason: 'new BNG in site A', target: expect.stringMatching(/^nas:\d+$/) })
    expect(JSON.stringify(entry)).not.toContain(SECRET)
  })

  it('keeps the secret when the field is left empty, changes it when given, and lists every problem of a bad form', async () => {
    const row = (await findNasClientByName(t.handle.db, 'bng-console'))!
    expect((await ops.post(`/console/nas/${row.id}`, nasForm({ secret: '', coaPort: '3800' }))).statusCode).toBe(303)
    expect(await findNasClientByName(t.handle.db, 'bng-console')).toMatchObject({ secret: SECRET, coaPort: 3800 })
    expect((await ops.post(`/console/nas/${row.id}`, nasForm({ secret: 'another-secret-2' }))).statusCode).toBe(303)
    expect((await findNasClientByName(t.handle.db, 'bng-console'))?.secret).toBe('another-secret-2')
    const [update] = await searchAudit(t.handle.db, { action: 'nas.update', limit: 1 })
    expect(update?.after).toMatchObject({ secret: '[changed]' })
    expect(JSON.stringify(update)).not.toContain('another-secret-2')

    const bad = await ops.post('/console/nas', nasForm({ name: 'x y', address: '10.0.0.300', coaPort: '0' }))
    expect(bad.statusCode).toBe(400)
    expect(bad.body).toContain('name: expected a name of 1 to 64 letters')
    expect(bad.body).toContain('address: &quot;10.0.0.300&quot; is not an IP address or CIDR')
    expect(bad.body).toContain('coaPort: expected a port from 1 to 65535')
    expect(bad.body).not.toContain(SECRET)
  })

  it('refuses NAS changes to a role without nas:write', async () => {
    expect((await support.get('/console/nas')).statusCode).toBe(403)
    expect((await support.post('/console/nas', nasForm({ name: 'sneaky' }))).statusCode).toBe(403)
    expect(await findNasClientByName(t.handle.db, 'sneaky')).toBeUndefined()
  })

  describe.skipIf(!haveRadius)('send test CoA', () => {
    let radius: FreeRadius
    beforeAll(async () => {
      radius = await startFreeRadius(freeradius!, 'console-coa-secret')
    })
    afterAll(async () => {
      await radius?.stop()
    })

    it('shows the ACK, and the NAK with its Error-Cause, from FreeRADIUS as the NAS', async () => {
      const add = await ops.post('/console/nas', nasForm({ name: 'fr-nas', address: '127.0.0.2', coaHost: '127.0.0.1', coaPort: String(radius.port), secret: 'console-coa-secret', requireMessageAuthenticator: '', coaAttributes: '' }))
      const id = /\/console\/nas\/(\d+)/.exec(add.headers.location as string)![1]
      const ack = await ops.post(`/console/nas/${id}/test-coa`, { acctSessionId: 'sess-1', framedIp: '10.0.0.1' })
      expect(ack.statusCode).toBe(200)
      expect(ack.body).toContain('<strong id="test-outcome">ACK</strong>')
      const nak = await ops.post(`/console/nas/${id}/test-coa`, { acctSessionId: 'gone', disconnect: 'on' })
      expect(nak.body).toContain('<strong id="test-outcome">NAK (Error-Cause 503)</strong>')
      const tests = await searchAudit(t.handle.db, { action: 'nas.test-coa', limit: 5 })
      expect(tests.map((e) => (e.after as { outcome: string }).outcome)).toEqual(['NAK (Error-Cause 503)', 'ACK'])
    })
  })

  it('saves settings the portal uses on the next request, and puts an empty field back to its default', async () => {
    const nasId = await addNasClient(t.handle.db, { name: 'pgw-portal', address: '192.0.2.77/32', realm: 'default' })
    await addLines(t.handle.db, [{ msisdn: '8613800000377', balanceMinor: -100, status: 'suspended', suspensionReason: 'arrears' }])
    await startSessions(t.handle.db, [{ nasId, acctSessionId: 'portal-377', msisdn: '8613800000377', framedIp: '10.4.0.77' }])
    const form = (await ops.get('/console/settings')).body
    expect(form).toContain('in force: 10086')
    const saved = await ops.post('/console/settings', { hotline: '95555', amounts: '10, 30', reason: 'new hotline' })
    expect(saved.statusCode).toBe(303)
    const portal = await a.app.inject({ url: '/portal?lang=en', remoteAddress: '10.4.0.77' })
    expect(portal.body).toContain('Call 95555')
    const [entry] = await searchAudit(t.handle.db, { action: 'settings.update', limit: 1 })
    expect(entry).toMatchObject({ actor: 'olga.ops', reason: 'new hotline', before: { hotline: null, amounts: null }, after: { hotline: '95555', amounts: ['10.00', '30.00'] } })

    const bad = await ops.post('/console/settings', { hotline: '95555', amounts: '10, ten', paymentMethods: 'cash' })
    expect(bad.statusCode).toBe(400)
    expect(bad.body).toContain('amounts[1]: &quot;ten&quot; is not a positive amount')
    expect(bad.body).toContain('paymentMethods[0]: &quot;cash&quot; is not one of voucher, card')

    expect((await ops.post('/console/settings', { hotline: '', amounts: '10, 30' })).statusCode).toBe(303)
    expect((await a.app.inject({ url: '/portal?lang=en', remoteAddress: '10.4.0.77' })).body).toContain('Call 10086')
  })

  it('overrides a portal text in one language and refuses an unknown placeholder', async () => {
    const saved = await ops.post('/console/settings/texts', { 'zh-CN.suspendedHeading': '请充值以恢复上网', reason: 'marketing wording' })
    expect(saved.statusCode).toBe(303)
    expect((await a.app.inject({ url: '/portal?lang=zh-CN', remoteAddress: '10.4.0.77' })).body).toContain('请充值以恢复上网')
    expect((await a.app.inject({ url: '/portal?lang=en', remoteAddress: '10.4.0.77' })).body).toContain('Your mobile service is paused')
    const bad = await ops.post('/console/settings/texts', { 'en.arrears': 'Line {line} owes {debt}' })
    expect(bad.statusCode).toBe(400)
    expect(bad.body).toContain('texts.en.arrears: unknown placeholder {debt}')
  })

  it('exports the configuration without secrets and imports it back, reporting a bad file in full', async () => {
    const exported = await ops.get('/console/config.yaml')
    expect(exported.headers['content-type']).toMatch(/^application\/yaml/)
    expect(exported.body).toContain('name: bng-console')
    expect(exported.body).not.toContain('another-secret-2')
    const dry = await ops.post('/console/config/import', { yaml: exported.body, dryRun: 'on' })
    expect(dry.statusCode).toBe(200)
    expect(dry.body).toContain('Dry run: nothing was changed.')
    const bad = await ops.post('/console/config/import', { yaml: 'version: 2\nnasClients:\n  - { name: n1, address: nowhere }\n' })
    expect(bad.statusCode).toBe(400)
    expect(bad.body).toContain('<code>version</code>: expected 1')
    expect(bad.body).toContain('<code>nasClients[0].address</code>')
    expect(bad.body).toContain('nothing was applied')
  })

  it('shows the allowlist with the RFC 8910 URI and serves it as text and JSON', async () => {
    const page = await ops.get('/console/allowlist')
    expect(page.body).toContain('/.well-known/captive-portal')
    expect(page.body).toContain('ipset create rg-allow')
    const json = JSON.parse((await ops.get('/console/allowlist.json')).body)
    expect(json.entries.find((e: { host: string }) => e.host === 'localhost')).toMatchObject({ purposes: ['portal', 'captive-api'], resolved: true })
    expect((await ops.get('/console/allowlist.txt?only=addresses')).body).toMatch(/^127\.0\.0\.1$/m)
  })
})
