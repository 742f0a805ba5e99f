// Load shedding: past the thresholds a page request gets 503 + Retry-After at once (with the
// offline ways for a browser), while /healthz and the catch-all redirect are always answered, and
// the app admits requests again as soon as the pressure is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { addLines, addNasClient, startSessions } from '../helpers/fixtures.ts'
import { SECURITY_HEADERS } from '../../src/http/plugins/security-headers.ts'

const PORTAL = 'http://portal.carrier.test'
const LINE = { address: '10.6.0.1', msisdn: '8613833330001', masked: '138****0001' }

/** Keep the event loop busy for `ms`, as a CPU-bound burst would. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // busy on purpose
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

describe('load shedding', () => {
  let t: TestDatabase
  let lagging: TestApp
  let crowded: TestApp
  let shedCount: (app: TestApp, cause: string) => Promise<number>

  beforeAll(async () => {
    t = await createTestDatabase()
    const nasId = await addNasClient(t.handle.db, { name: 'pgw-shed', address: '192.0.2.15/32', realm: 'default' })
    await addLines(t.handle.db, [{ msisdn: LINE.msisdn, balanceMinor: -500, status: 'suspended', suspensionReason: 'arrears' }])
    await startSessions(t.handle.db, [{ nasId, acctSessionId: 'shed-1', msisdn: LINE.msisdn, framedIp: LINE.address }])
    // A long sample: after a burst the app stays "under pressure" for a whole sample, long enough to look.
    lagging = await buildTestApp(t.handle, { PORTAL_URL: PORTAL, LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '50', LOAD_SHED_SAMPLE_MS: '400', LOAD_SHED_MAX_IN_FLIGHT: '0' })
    crowded = await buildTestApp(t.handle, { PORTAL_URL: PORTAL, LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0', LOAD_SHED_MAX_IN_FLIGHT: '2' })
    shedCount = async (app, cause) => {
      const text = await app.metrics.registry.getSingleMetricAsString('gateway_http_shed_total')
      return Number(new RegExp(`cause="${cause}"} (\\d+)`).exec(text)?.[1] ?? 0)
    }
  })
  afterAll(async () => {
    await lagging?.app.close()
    await crowded?.app.close()
    await t?.destroy()
  })

  const portal = (app: TestApp, accept = 'text/html', remoteAddress = LINE.address) =>
    app.app.inject({ url: '/portal', headers: { host: 'portal.carrier.test', accept }, remoteAddress })

  it('serves the portal normally when the event loop keeps up (the control)', async () => {
    const res = await portal(lagging)
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain(LINE.masked)
  })

  it('after the event loop lagged: 503 + Retry-After for pages, never for /healthz or the catch-all, then back to normal', async () => {
    blockEventLoop(600)
    await tick() // the overdue sample runs first and sees the lag

    const html = await portal(lagging)
    expect(html.statusCode).toBe(503)
    expect(html.headers['retry-after']).toBe('5')
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(html.body).toContain('*100#') // the offline ways, without a template or a database
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(html.headers[name]).toBe(value)
    const json = await portal(lagging, 'application/json')
    expect(json.statusCode).toBe(503)
    expect(json.json()).toEqual({ error: 'HTTP.OVERLOADED', message: 'The service is busy; try again in a few seconds' })

    const health = await lagging.app.inject({ url: '/healthz', headers: { host: 'portal.carrier.test' } })
    expect(health.statusCode).toBe(200)
    const caught = await lagging.app.inject({ url: '/news', headers: { host: 'news.example', accept: 'text/html' }, remoteAddress: LINE.address })
    expect(caught.statusCode).toBe(302)
    expect(caught.headers.location).toMatch(/^http:\/\/portal\.carrier\.test\/portal\?/)
    expect(await shedCount(lagging, 'eventLoopDelay')).toBeGreaterThanOrEqual(2)

    // One quiet sample later the pages are served again.
    await new Promise((resolve) => setTimeout(resolve, 900))
    const again = await portal(lagging)
    expect(again.statusCode).toBe(200)
    expect(again.body).toContain(LINE.masked)
  })

  it('sheds what exceeds the in-flight limit, admits the rest, and frees the places afterwards', async () => {
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => portal(crowded, 'application/json', `10.6.1.${i + 1}`)))
    const codes = answers.map((r) => r.statusCode)
    expect(codes.filter((c) => c === 200).length).toBeGreaterThanOrEqual(2)
    expect(codes.filter((c) => c === 503).length).toBeGreaterThan(0)
    expect(codes.every((c) => c === 200 || c === 503)).toBe(true)
    for (const r of answers.filter((a) => a.statusCode === 503)) expect(r.headers['retry-after']).toBe('5')
    expect(await shedCount(crowded, 'in_flight')).toBe(codes.filter((c) => c === 503).length)

    // Every place was given back: one at a time, all admitted.
    for (let i = 0; i < 5; i++) expect((await portal(crowded, 'text/html', `10.6.2.${i + 1}`)).statusCode).toBe(200)
    // /healthz is not counted and not shed even while the app is full.
    const [health] = await Promise.all([crowded.app.inject({ url: '/healthz' }), ...Array.from({ length: 6 }, (_, i) => portal(crowded, 'text/html', `10.6.3.${i + 1}`))])
    expect(health!.statusCode).toBe(200)
  })
})
