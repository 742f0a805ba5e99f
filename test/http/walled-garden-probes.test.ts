// The OS connectivity probes, every entry of the table: captive (a redirect that opens the
// phone's sign-in sheet) while the line cannot browse, and exactly the answer the OS expects once
// it can, so the sheet closes by itself. Lines and sessions are real rows in one database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CAPTIVE_PROBES, type CaptiveProbe } from '../../src/http/walled-garden/captive-probes.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { addLines, addNasClient, startSessions } from '../helpers/fixtures.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

const PORTAL = 'http://portal.carrier.test'

const CLIENTS = {
  suspended: { address: '10.1.0.5', msisdn: '8613800000105' },
  fraud: { address: '10.1.0.8', msisdn: '8613800000108' },
  active: { address: '10.1.0.6', msisdn: '8613800000106' },
  // A session whose line billing does not know.
  unknownLine: { address: '10.1.0.7', msisdn: '8613800000107' },
  unidentified: { address: '10.1.0.99', msisdn: null },
} as const

describe('captive probes', () => {
  let t: TestDatabase
  let a: TestApp

  beforeAll(async () => {
    t = await createTestDatabase()
    const db = t.handle.db
    const nasId = await addNasClient(db, { name: 'pgw-probes', address: '192.0.2.10/32', realm: 'default' })
    await addLines(db, [
      { msisdn: CLIENTS.suspended.msisdn, balanceMinor: -300, status: 'suspended', suspensionReason: 'arrears' },
      { msisdn: CLIENTS.fraud.msisdn, balanceMinor: 9000, status: 'suspended', suspensionReason: 'fraud' },
      { msisdn: CLIENTS.active.msisdn, balanceMinor: 2500, status: 'active' },
    ])
    await startSessions(
      db,
      Object.entries(CLIENTS).filter(([, c]) => c.msisdn !== null).map(([name, client]) => ({ nasId, acctSessionId: `probe-${name}`, msisdn: client.msisdn!, framedIp: client.address })),
    )
    a = await buildTestApp(t.handle, { PORTAL_URL: PORTAL })
  })
  afterAll(async () => {
    await a?.app.close()
    await t?.destroy()
  })

  function probe(p: CaptiveProbe, remoteAddress: string, options: { query?: string; method?: 'GET' | 'HEAD'; host?: string } = {}) {
    return a.app.inject({ method: options.method ?? 'GET', url: `${p.path}${options.query ?? ''}`, headers: { host: options.host ?? p.host }, remoteAddress })
  }

  function expectCaptive(res: Awaited<ReturnType<typeof probe>>, p: CaptiveProbe, query = ''): void {
    expect(res.statusCode).toBe(302)
    expect(res.headers['cache-control']).toBe('no-store')
    const location = new URL(res.headers.location as string)
    expect(location.origin).toBe(PORTAL)
    expect(location.pathname).toBe('/portal')
    expect(location.searchParams.get('continue')).toBe(`http://${p.host}${p.path}${query}`)
    expect(location.searchParams.get('rt')).toBeTruthy()
    if (p.success.body !== '') expect(res.body).not.toContain(p.success.body.trim())
  }

  function expectSuccess(res: Awaited<ReturnType<typeof probe>>, p: CaptiveProbe, withBody = true): void {
    expect(res.statusCode).toBe(p.success.status)
    expect(res.headers.location).toBeUndefined()
    expect(res.headers['cache-control']).toBe('no-store')
    if (p.success.contentType === undefined) expect(res.headers['content-type']).toBeUndefined()
    else expect(res.headers['content-type']).toBe(p.success.contentType)
    expect(res.headers['content-encoding']).toBeUndefined()
    if (withBody) expect(res.rawPayload.equals(Buffer.from(p.success.body, 'utf8'))).toBe(true)
  }

  it('covers Android, Apple, Windows, Firefox and the big Chinese OEMs', () => {
    const vendors = new Set(CAPTIVE_PROBES.map((p) => p.vendor.split(' ')[0]!.split('/')[0]))
    for (const vendor of ['Android', 'Apple', 'Windows', 'Firefox', 'Xiaomi', 'Huawei', 'vivo', 'OPPO']) expect(vendors).toContain(vendor)
  })

  describe.each(CAPTIVE_PROBES.map((p) => [`${p.vendor} http://${p.host}${p.path}`, p] as const))('%s', (_name, p) => {
    it('is captive for a line suspended for arrears', async () => {
      expectCaptive(await probe(p, CLIENTS.suspended.address), p)
    })

    it('is captive for a line suspended for another reason', async () => {
      expectCaptive(await probe(p, CLIENTS.fraud.address), p)
    })

    it('answers exactly the OS success answer for an active line', async () => {
      expectSuccess(await probe(p, CLIENTS.active.address), p)
    })

    it('is captive for an unidentified client and for a line billing does not know', async () => {
      expectCaptive(await probe(p, CLIENTS.unidentified.address), p)
      expectCaptive(await probe(p, CLIENTS.unknownLine.address), p)
    })

    it('still matches with a query string (cache busters), either way', async () => {
      expectSuccess(await probe(p, CLIENTS.active.address, { query: '?t=1718000000&x=%20y' }), p)
      expectCaptive(await probe(p, CLIENTS.suspended.address, { query: '?t=1718000000' }), p, '?t=1718000000')
    })

    it('matches a Host with a port or in upper case, and answers HEAD without a body', async () => {
      expectSuccess(await probe(p, CLIENTS.active.address, { host: `${p.host.toUpperCase()}:80` }), p)
      const head = await probe(p, CLIENTS.active.address, { method: 'HEAD' })
      expectSuccess(head, p, false)
      expect(head.rawPayload.length).toBe(0)
    })
  })

  it('a path next to a probe on the same host is an ordinary catch-all redirect, even for an active line', async () => {
    const res = await a.app.inject({ url: '/hotspot-detect.htm', headers: { host: 'captive.apple.com', accept: 'text/html' }, remoteAddress: CLIENTS.active.address })
    expect(res.statusCode).toBe(302)
    expect(new URL(res.headers.location as string).origin).toBe(PORTAL)
  })

  it('a probe path on the portal\'s own host is not a probe', async () => {
    const res = await a.app.inject({ url: '/generate_204', remoteAddress: CLIENTS.active.address })
    expect(res.statusCode).toBe(404)
  })

  it('answers a probe captive even when the client does not accept HTML (no 511 for the OS)', async () => {
    const p = CAPTIVE_PROBES[0]!
    const res = await a.app.inject({ url: p.path, headers: { host: p.host, accept: '*/*' }, remoteAddress: CLIENTS.suspended.address })
    expect(res.statusCode).toBe(302)
  })

  it('follows the line: captive while suspended, success as soon as billing says active', async () => {
    const p = CAPTIVE_PROBES.find((x) => x.host === 'captive.apple.com')!
    const msisdn = '8613800000109'
    await addLines(t.handle.db, [{ msisdn, balanceMinor: -100, status: 'suspended', suspensionReason: 'arrears' }])
    const nas = await t.handle.db.selectFrom('nasClients').select('id').executeTakeFirstOrThrow()
    await startSessions(t.handle.db, [{ nasId: nas.id, acctSessionId: 'probe-lifted', msisdn, framedIp: '10.1.0.9' }])
    expectCaptive(await probe(p, '10.1.0.9'), p)
    await t.handle.db.updateTable('lines').set({ status: 'active', suspensionReason: null, balanceMinor: 1900 }).where('msisdn', '=', msisdn).execute()
    expectSuccess(await probe(p, '10.1.0.9'), p)
  })

  it('counts captive and success answers separately', async () => {
    const metrics = (await a.app.inject('/metrics')).body
    expect(metrics).toMatch(/^gateway_walled_garden_requests_total\{answer="probe_captive"\} [1-9]\d*$/m)
    expect(metrics).toMatch(/^gateway_walled_garden_requests_total\{answer="probe_success"\} [1-9]\d*$/m)
  })
})
