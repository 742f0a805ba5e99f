// RFC 8908 Captive Portal API at /.well-known/captive-portal: the OS asks whether the line is
// captive and where the user portal is; the answer follows the line's real state in billing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { addLines, addNasClient, startSessions } from '../helpers/fixtures.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

const PORTAL = 'https://portal.carrier.test'
const API = '/.well-known/captive-portal'

const CLIENTS = {
  arrears: { address: '10.2.0.5', msisdn: '8613800000205' },
  administrative: { address: '10.2.0.8', msisdn: '8613800000208' },
  active: { address: '10.2.0.6', msisdn: '8613800000206' },
  unknownLine: { address: '10.2.0.7', msisdn: '8613800000207' },
} as const

describe('RFC 8908 captive portal API', () => {
  let t: TestDatabase
  let a: TestApp

  beforeAll(async () => {
    t = await createTestDatabase()
    const db = t.handle.db
    const nasId = await addNasClient(db, { name: 'pgw-api', address: '192.0.2.11/32', realm: 'default' })
    await addLines(db, [
      { msisdn: CLIENTS.arrears.msisdn, balanceMinor: -1200, status: 'suspended', suspensionReason: 'arrears' },
      { msisdn: CLIENTS.administrative.msisdn, balanceMinor: 500, status: 'suspended', suspensionReason: 'administrative' },
      { msisdn: CLIENTS.active.msisdn, balanceMinor: 800, status: 'active' },
    ])
    await startSessions(
      db,
      Object.entries(CLIENTS).map(([name, client]) => ({ nasId, acctSessionId: `api-${name}`, msisdn: client.msisdn!, framedIp: client.address })),
    )
    a = await buildTestApp(t.handle, { PORTAL_URL: PORTAL })
  })
  afterAll(async () => {
    await a?.app.close()
    await t?.destroy()
  })

  async function ask(remoteAddress: string, headers: Record<string, string> = {}) {
    const res = await a.app.inject({ url: API, headers: { accept: 'application/captive+json', ...headers }, remoteAddress })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']?.toString().split(';')[0]).toBe('application/captive+json')
    expect(res.headers['cache-control']).toBe('private, no-store')
    return JSON.parse(res.body) as Record<string, unknown>
  }

  const CAPTIVE = { captive: true, 'user-portal-url': `${PORTAL}/portal` }

  it('says captive, with the user portal URL, for a line suspended for arrears', async () => {
    expect(await ask(CLIENTS.arrears.address)).toEqual(CAPTIVE)
  })

  it('says captive for a line suspended for a reason a recharge cannot cure', async () => {
    expect(await ask(CLIENTS.administrative.address)).toEqual(CAPTIVE)
  })

  it('says captive for an unidentified client and for a line billing does not know', async () => {
    expect(await ask('10.2.0.99')).toEqual(CAPTIVE)
    expect(await ask(CLIENTS.unknownLine.address)).toEqual(CAPTIVE)
  })

  it('says not captive, and gives no portal URL, for an active line', async () => {
    const answer = await ask(CLIENTS.active.address)
    expect(answer).toEqual({ captive: false })
    expect(answer).not.toHaveProperty('user-portal-url')
  })

  it('follows billing: captive, then not captive once the line is restored', async () => {
    const msisdn = '8613800000209'
    const db = t.handle.db
    await addLines(db, [{ msisdn, balanceMinor: -50, status: 'suspended', suspensionReason: 'arrears' }])
    const nas = await db.selectFrom('nasClients').select('id').executeTakeFirstOrThrow()
    await startSessions(db, [{ nasId: nas.id, acctSessionId: 'api-restored', msisdn, framedIp: '10.2.0.9' }])
    expect(await ask('10.2.0.9')).toEqual(CAPTIVE)
    await db.updateTable('lines').set({ status: 'active', suspensionReason: null, balanceMinor: 4950 }).where('msisdn', '=', msisdn).execute()
    expect(await ask('10.2.0.9')).toEqual({ captive: false })
  })

  it('does not believe a forged X-Forwarded-For from an untrusted address', async () => {
    expect(await ask('10.2.0.99', { 'x-forwarded-for': CLIENTS.active.address })).toEqual(CAPTIVE)
  })

  it('answers the same to a client that sends no Accept header', async () => {
    const res = await a.app.inject({ url: API, remoteAddress: CLIENTS.active.address })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']?.toString().split(';')[0]).toBe('application/captive+json')
    expect(JSON.parse(res.body)).toEqual({ captive: false })
  })
})
