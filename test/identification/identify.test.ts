// GET /api/v1/identify through the real app: which line the gateway sees behind a request, from
// the socket address, trusted proxies, the realm of the listener or proxy, and enrichment headers.
// app.inject's mock socket has a remote address but no local address or port, so realms by
// listener are tested over real loopback sockets handed to the app's HTTP server.
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { buildTestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { addNasClient, sessionRecord } from '../helpers/fixtures.ts'

interface IdentifyAnswer {
  identified: boolean
  line?: string
  how?: string
  address: string
  realm: string
  reason?: string
}

// The realm of each session and the line behind it; 10.0.0.7 is reused in three realms.
const LINES = {
  default5: '8613800000005',
  default7: '8613800000070',
  apnA7: '8613800000071',
  apnB7: '8613800000072',
  untrustedPeer: '8613800000017',
  proxyItself: '8613800000001',
  ipv6: '8613800000066',
}

describe('GET /api/v1/identify', () => {
  let t: TestDatabase
  const apps: FastifyInstance[] = []
  let plain: FastifyInstance
  let proxied: FastifyInstance

  async function app(env: Record<string, string> = {}): Promise<FastifyInstance> {
    const built = (await buildTestApp(t.handle, env)).app
    apps.push(built)
    return built
  }

  beforeAll(async () => {
    t = await createTestDatabase()
    const db = t.handle.db
    const nasDefault = await addNasClient(db, { name: 'pgw-default', address: '192.0.2.20/32', realm: 'default' })
    const nasA = await addNasClient(db, { name: 'pgw-apn-a', address: '192.0.2.21/32', realm: 'apn-a' })
    const nasB = await addNasClient(db, { name: 'pgw-apn-b', address: '192.0.2.22/32', realm: 'apn-b' })
    const recorder = createSessionRecorder(db, { touchAfterMs: 60_000 })
    const now = Date.now() - 5_000
    const on = (nasId: number, realm: string, acctSessionId: string, fields: { framedIp?: string; framedIpv6Prefix?: string; msisdn: string | null }, eventTime = new Date(now)) =>
      recorder.record(sessionRecord('start', { nasId, realm, acctSessionId, eventTime, ...fields }))
    await Promise.all([
      on(nasDefault, 'default', 'd-5', { framedIp: '10.0.0.5', msisdn: LINES.default5 }),
      on(nasDefault, 'default', 'd-6', { framedIp: '10.0.0.6', msisdn: null }),
      on(nasDefault, 'default', 'd-7', { framedIp: '10.0.0.7', msisdn: LINES.default7 }),
      on(nasA, 'apn-a', 'a-7', { framedIp: '10.0.0.7', msisdn: LINES.apnA7 }),
      on(nasB, 'apn-b', 'b-7', { framedIp: '10.0.0.7', msisdn: LINES.apnB7 }),
      on(nasDefault, 'default', 'd-peer', { framedIp: '198.51.100.7', msisdn: LINES.untrustedPeer }),
      on(nasDefault, 'default', 'd-proxy', { framedIp: '127.0.0.1', msisdn: LINES.proxyItself }),
      on(nasDefault, 'default', 'd-v6', { framedIpv6Prefix: '2001:db8:7::/64', msisdn: LINES.ipv6 }),
      // Last seen 20 minutes ago: older than the default max age (300 s × 3).
      on(nasDefault, 'default', 'd-8', { framedIp: '10.0.0.8', msisdn: '8613800000008' }, new Date(now - 20 * 60_000)),
    ])
    await recorder.record(sessionRecord('start', { nasId: nasDefault, realm: 'default', acctSessionId: 'd-9', framedIp: '10.0.0.9', msisdn: '8613800000009', eventTime: new Date(now - 1000) }))
    await recorder.record(sessionRecord('stop', { nasId: nasDefault, realm: 'default', acctSessionId: 'd-9', framedIp: '10.0.0.9', msisdn: '8613800000009', eventTime: new Date(now) }))
    plain = await app()
    proxied = await app({ TRUSTED_PROXIES: '127.0.0.1', ENRICHMENT_HEADERS: 'X-MSISDN', REALM_HEADER: 'X-Realm' })
  })
  afterAll(async () => {
    for (const a of apps) await a.close()
    await t?.destroy()
  })

  async function identify(on: FastifyInstance, remoteAddress: string, headers: Record<string, string> = {}): Promise<IdentifyAnswer> {
    const res = await on.inject({ url: '/api/v1/identify', remoteAddress, headers })
    expect(res.statusCode).toBe(200)
    return res.json<IdentifyAnswer>()
  }

  describe('by socket address', () => {
    it('identifies the line behind the socket address, masked, with how=address', async () => {
      const res = await plain.inject({ url: '/api/v1/identify', remoteAddress: '10.0.0.5' })
      expect(res.json()).toEqual({ identified: true, line: '138****0005', how: 'address', address: '10.0.0.5', realm: 'default' })
      expect(res.body).not.toContain(LINES.default5)
      expect(res.headers['cache-control']).toBe('private, no-store')
    })

    it('treats an IPv4-mapped IPv6 socket address as the IPv4 address', async () => {
      expect(await identify(plain, '::ffff:10.0.0.5')).toMatchObject({ identified: true, line: '138****0005', address: '10.0.0.5' })
    })

    it('identifies an IPv6 client inside a session prefix', async () => {
      expect(await identify(plain, '2001:db8:7::1234')).toMatchObject({ identified: true, line: '138****0066', how: 'address' })
      expect(await identify(plain, '2001:db8:8::1')).toMatchObject({ identified: false, reason: 'no_session' })
    })

    it('answers unidentified with reason no_session for an address without a session', async () => {
      expect(await identify(plain, '10.0.0.200')).toEqual({ identified: false, address: '10.0.0.200', realm: 'default', reason: 'no_session' })
    })

    it('answers unidentified with reason session_without_msisdn for a session that carries no number', async () => {
      expect(await identify(plain, '10.0.0.6')).toEqual({ identified: false, address: '10.0.0.6', realm: 'default', reason: 'session_without_msisdn' })
    })

    it('does not identify a stopped session or one unseen for longer than the max age', async () => {
      expect(await identify(plain, '10.0.0.9')).toMatchObject({ identified: false, reason: 'no_session' })
      expect(await identify(plain, '10.0.0.8')).toMatchObject({ identified: false, reason: 'no_session' })
      // The same old session is found when the configured max age covers it.
      const patient = await app({ SESSION_INTERIM_INTERVAL: '600', SESSION_EXPIRY_FACTOR: '3' })
      expect(await identify(patient, '10.0.0.8')).toMatchObject({ identified: true, line: '138****0008' })
    })
  })

  describe('realms', () => {
    it('gives the line of the realm a trusted proxy names in REALM_HEADER for a shared private address', async () => {
      expect(await identify(proxied, '127.0.0.1', { 'x-forwarded-for': '10.0.0.7', 'x-realm': 'apn-a' })).toMatchObject({
        identified: true,
        line: '138****0071',
        realm: 'apn-a',
        address: '10.0.0.7',
      })
      expect(await identify(proxied, '127.0.0.1', { 'x-forwarded-for': '10.0.0.7', 'x-realm': 'apn-b' })).toMatchObject({
        identified: true,
        line: '138****0072',
        realm: 'apn-b',
      })
    })

    it('ignores REALM_HEADER from an untrusted address', async () => {
      expect(await identify(proxied, '10.0.0.7', { 'x-realm': 'apn-b' })).toMatchObject({ identified: true, line: '138****0070', realm: 'default' })
    })

    it('ignores a malformed realm from a trusted proxy and uses the default realm', async () => {
      expect(await identify(proxied, '127.0.0.1', { 'x-forwarded-for': '10.0.0.7', 'x-realm': 'apn b; drop' })).toMatchObject({
        line: '138****0070',
        realm: 'default',
      })
    })

    it('uses DEFAULT_REALM for a listener with no realm of its own (app.inject sockets have no local address)', async () => {
      const a = await app({ DEFAULT_REALM: 'apn-b', REALMS_BY_LISTENER: '127.0.0.1=apn-a' })
      expect(await identify(a, '10.0.0.7')).toMatchObject({ identified: true, line: '138****0072', realm: 'apn-b' })
    })

    it('gives the line of the realm of the local listening address (REALMS_BY_LISTENER)', async () => {
      const a = await app({ TRUSTED_PROXIES: '127.0.0.1', REALMS_BY_LISTENER: '127.0.0.1=apn-a,127.0.0.2=apn-b' })
      expect(await overLoopback(a, '127.0.0.1', { 'x-forwarded-for': '10.0.0.7' })).toMatchObject({ line: '138****0071', realm: 'apn-a' })
      expect(await overLoopback(a, '127.0.0.2', { 'x-forwarded-for': '10.0.0.7' })).toMatchObject({ line: '138****0072', realm: 'apn-b' })
    })

    it('prefers a listener address:port entry over the address alone', async () => {
      let target: FastifyInstance | undefined
      const relay = await startRelay(() => target!, '127.0.0.1')
      try {
        target = await app({ TRUSTED_PROXIES: '127.0.0.1', REALMS_BY_LISTENER: `127.0.0.1=apn-a,127.0.0.1:${relay.port}=apn-b` })
        expect(await get('127.0.0.1', relay.port, { 'x-forwarded-for': '10.0.0.7' })).toMatchObject({ line: '138****0072', realm: 'apn-b' })
        expect(await overLoopback(target, '127.0.0.1', { 'x-forwarded-for': '10.0.0.7' })).toMatchObject({ line: '138****0071', realm: 'apn-a' })
      } finally {
        await relay.close()
      }
    })
  })

  describe('trusted proxies', () => {
    it('identifies the right-most untrusted X-Forwarded-For hop when the socket is a trusted proxy', async () => {
      expect(await identify(proxied, '127.0.0.1', { 'x-forwarded-for': '203.0.113.9, 10.0.0.7' })).toMatchObject({
        identified: true,
        line: '138****0070',
        how: 'address',
        address: '10.0.0.7',
      })
    })

    it('ignores X-Forwarded-For from an untrusted socket address and identifies the socket', async () => {
      expect(await identify(proxied, '198.51.100.7', { 'x-forwarded-for': '203.0.113.9, 10.0.0.7' })).toMatchObject({
        identified: true,
        line: '138****0017',
        address: '198.51.100.7',
      })
      expect(await identify(plain, '127.0.0.1', { 'x-forwarded-for': '10.0.0.7' })).toMatchObject({ line: '138****0001', address: '127.0.0.1' })
    })

    it('stops at the last trusted hop when a forged chain carries a garbage hop', async () => {
      expect(await identify(proxied, '127.0.0.1', { 'x-forwarded-for': '10.0.0.5, not-an-address' })).toMatchObject({
        line: '138****0001',
        address: '127.0.0.1',
      })
      const twoHops = await app({ TRUSTED_PROXIES: '127.0.0.1,172.16.0.0/12' })
      const answer = await identify(twoHops, '127.0.0.1', { 'x-forwarded-for': '10.0.0.5, 10.0.0.5:8080, 172.16.0.9' })
      expect(answer.address).not.toBe('10.0.0.5')
      expect(['127.0.0.1', '172.16.0.9']).toContain(answer.address)
    })

    it('believes an enrichment header from a trusted proxy: how=header', async () => {
      expect(await identify(proxied, '127.0.0.1', { 'x-forwarded-for': '203.0.113.50', 'x-msisdn': '+8613800000099' })).toEqual({
        identified: true,
        line: '138****0099',
        how: 'header',
        address: '203.0.113.50',
        realm: 'default',
      })
    })

    it('falls back to the address when a trusted enrichment header is not a phone number', async () => {
      expect(await identify(proxied, '127.0.0.1', { 'x-forwarded-for': '10.0.0.7', 'x-msisdn': 'unknown' })).toMatchObject({
        line: '138****0070',
        how: 'address',
      })
    })

    it('ignores an enrichment header from an untrusted address', async () => {
      expect(await identify(proxied, '198.51.100.7', { 'x-msisdn': '+8613800000099' })).toMatchObject({ line: '138****0017', how: 'address' })
      expect(await identify(proxied, '203.0.113.77', { 'x-msisdn': '+8613800000099' })).toEqual({
        identified: false,
        address: '203.0.113.77',
        realm: 'default',
        reason: 'no_session',
      })
    })
  })

  // A listening relay that hands each accepted socket to the app's HTTP server, so the request
  // carries a real local address and port.
  async function startRelay(target: () => FastifyInstance, host: string): Promise<{ port: number; close(): Promise<void> }> {
    const relay = net.createServer((socket) => target().server.emit('connection', socket))
    await new Promise<void>((resolve, reject) => {
      relay.once('error', reject)
      relay.listen(0, host, resolve)
    })
    return {
      port: (relay.address() as AddressInfo).port,
      close: () => new Promise<void>((resolve) => relay.close(() => resolve())),
    }
  }

  function get(host: string, port: number, headers: Record<string, string>): Promise<IdentifyAnswer> {
    return new Promise<IdentifyAnswer>((resolve, reject) => {
      const req = http.get(
        // Host is the portal's own name: any other Host is the walled garden's, not this route's.
        { host, port, path: '/api/v1/identify', localAddress: '127.0.0.1', agent: false, headers: { ...headers, host: 'localhost', connection: 'close' } },
        (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (body += chunk))
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`GET /api/v1/identify answered ${res.statusCode}: ${body.slice(0, 200)}`))
            else resolve(JSON.parse(body) as IdentifyAnswer)
          })
        },
      )
      req.on('error', reject)
    })
  }

  async function overLoopback(target: FastifyInstance, host: string, headers: Record<string, string>): Promise<IdentifyAnswer> {
    const relay = await startRelay(() => target, host)
    try {
      return await get(host, relay.port, headers)
    } finally {
      await relay.close()
    }
  }
})
