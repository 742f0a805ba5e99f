// Two gateway instances on one database: a settings or NAS change an operator makes through one
// instance's admin API reaches the other within 5 s, without a restart. On the PostgreSQL server each app has its own
// connection pool; the embedded database is single-process, so there the two share its handle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, type DatabaseHandle } from '../../src/db/connect.ts'
import { createApiToken } from '../../src/db/api-tokens.ts'
import { refreshNasDirectory, reloadNasDirectoryOnChange } from '../../src/identification/session-upkeep.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createNasDirectory } from '../../src/radius/nas-directory.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { addLines, addNasClient, startSessions } from '../helpers/fixtures.ts'

const LINE = { msisdn: '8613800000311', masked: '138****0311', address: '10.3.0.11' }
const PROXY = '127.0.0.9'
const LIMIT_MS = 5000

/** Poll `check` until it holds; resolves the milliseconds it took, or fails after LIMIT_MS + 1 s. */
async function within(check: () => Promise<boolean>): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < LIMIT_MS + 1000) {
    if (await check()) return Date.now() - started
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the change never arrived')
}

describe(`settings reach every instance within 5 s (${process.env.DATABASE_URL ? 'PostgreSQL server, two pools' : 'embedded PGlite, one shared handle'})`, () => {
  let t: TestDatabase
  let second: DatabaseHandle
  let a: TestApp
  let b: TestApp
  let token: string

  beforeAll(async () => {
    t = await createTestDatabase()
    second = t.url === null ? t.handle : await openDatabase({ kind: 'postgres', url: t.url, poolSize: 2 })
    const nasId = await addNasClient(t.handle.db, { name: 'pgw-live', address: '192.0.2.31/32', realm: 'default' })
    await addLines(t.handle.db, [{ msisdn: LINE.msisdn, balanceMinor: -500, status: 'suspended', suspensionReason: 'arrears' }])
    await startSessions(t.handle.db, [{ nasId, acctSessionId: 'live-1', msisdn: LINE.msisdn, framedIp: LINE.address }])
    a = await buildTestApp(t.handle)
    b = await buildTestApp(second)
    token = (await createApiToken(t.handle.db, { name: 'live-test', role: 'operator', createdBy: 'test' })).token
  })
  afterAll(async () => {
    await a?.app.close()
    await b?.app.close()
    if (second !== t.handle) await second?.close()
    await t?.destroy()
  })

  /** An operator's change through instance a's admin API. */
  async function onA(method: 'PATCH' | 'POST', url: string, payload: object): Promise<void> {
    const res = await a.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } })
    expect(res.statusCode, res.body).toBeLessThan(300)
  }

  const portal = (app: TestApp, remoteAddress: string, headers: Record<string, string> = {}) =>
    app.app.inject({ url: '/portal?lang=en', remoteAddress, headers }).then((res) => res.body)

  it('page texts and the offline ways change on the other instance', async () => {
    expect(await portal(b, LINE.address)).toContain('Your mobile service is paused')
    await onA('PATCH', '/api/v1/settings', { settings: { texts: { en: { suspendedHeading: 'Top up to browse again' } }, hotline: '12321', smsText: 'TOPUP' } })
    const took = await within(async () => (await portal(b, LINE.address)).includes('Top up to browse again'))
    const page = await portal(b, LINE.address)
    expect(page).toContain('Call 12321')
    expect(page).toContain('Text TOPUP to 10086')
    expect(took).toBeLessThan(LIMIT_MS)
    process.stdout.write(`settings change seen by the other instance after ${took} ms\n`)
  })

  it('a trusted proxy added in the settings is believed by the other instance', async () => {
    const viaProxy = () => portal(b, PROXY, { 'x-forwarded-for': LINE.address })
    expect(await viaProxy()).not.toContain(LINE.masked)
    await onA('PATCH', '/api/v1/settings', { settings: { trustedProxies: [PROXY] } })
    expect(await within(async () => (await viaProxy()).includes(LINE.masked))).toBeLessThan(LIMIT_MS)
    // Back to the environment's (none): the header is ignored again.
    await onA('PATCH', '/api/v1/settings', { settings: { trustedProxies: null } })
    expect(await within(async () => !(await viaProxy()).includes(LINE.masked))).toBeLessThan(LIMIT_MS)
  })

  it('a NAS client added on one instance is in the other instance`s NAS directory', async () => {
    const directory = createNasDirectory()
    await refreshNasDirectory(second.db, directory)
    reloadNasDirectoryOnChange(b.settings, second.db, directory, createLogger('silent'))
    expect(directory.find('203.0.113.77')).toBeUndefined()
    await onA('POST', '/api/v1/nas', { name: 'bng-new', address: '203.0.113.77', secret: 'bng-new-secret' })
    expect(await within(async () => directory.find('203.0.113.77')?.name === 'bng-new')).toBeLessThan(LIMIT_MS)
  })
})
