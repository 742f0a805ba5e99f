// The portal's security promises, attacked from the client side: identity comes only from the
// network (forged X-Forwarded-For, X-MSISDN and redirect tokens are ignored), every kind of
// response carries the security headers, /portal is rate-limited per subscriber address, and
// what a client writes into the URL is never reflected as markup.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signRedirectToken, verifyRedirectToken } from '../../src/identification/redirect-token.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { addLines, addNasClient, startSessions } from '../helpers/fixtures.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

const PORTAL = 'http://portal.carrier.test'
const PROXY = '192.0.2.250'
const ENV = { PORTAL_URL: PORTAL, TRUSTED_PROXIES: PROXY, ENRICHMENT_HEADERS: 'x-msisdn', PAYMENT_METHODS: 'voucher,card' }

// The victim's line is suspended with a recognisable balance; the attacker has an active line.
const VICTIM = { address: '10.5.0.1', msisdn: '8613811110001', masked: '138****0001', balance: '-12.34' }
const ATTACKER = { address: '10.5.0.2', msisdn: '8613822220002', masked: '138****0002' }
const NOBODY = '10.5.0.99'

function unescapeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

describe('portal security', () => {
  let t: TestDatabase
  let a: TestApp

  beforeAll(async () => {
    t = await createTestDatabase()
    const db = t.handle.db
    const nasId = await addNasClient(db, { name: 'pgw-security', address: '192.0.2.14/32', realm: 'default' })
    await addLines(db, [
      { msisdn: VICTIM.msisdn, balanceMinor: -1234, status: 'suspended', suspensionReason: 'arrears' },
      { msisdn: ATTACKER.msisdn, balanceMinor: 7700, status: 'active' },
    ])
    await startSessions(db, [
      { nasId, acctSessionId: 'sec-victim', msisdn: VICTIM.msisdn, framedIp: VICTIM.address },
      { nasId, acctSessionId: 'sec-attacker', msisdn: ATTACKER.msisdn, framedIp: ATTACKER.address },
    ])
    a = await buildTestApp(t.handle, ENV)
  })
  afterAll(async () => {
    await a?.app.close()
    await t?.destroy()
  })

  async function portal(remoteAddress: string, headers: Record<string, string> = {}, query = '') {
    const res = await a.app.inject({ url: `/portal${query}`, headers: { host: 'portal.carrier.test', ...headers }, remoteAddress })
    expect(res.statusCode).toBe(200)
    return res.body
  }

  function expectNotVictim(body: string): void {
    expect(body).not.toContain(VICTIM.masked)
    expect(body).not.toContain(VICTIM.balance)
  }

  function expectUnidentified(body: string): void {
    expect(body).toContain('无法自动识别您的号码')
    expect(body).not.toMatch(/\d{3}\*{4}\d{4}/)
    expectNotVictim(body)
  }

  function expectAttackersOwnLine(body: string): void {
    expect(body).toContain(`号码 ${ATTACKER.masked} 未停机`)
    expectNotVictim(body)
  }

  describe('identity comes from the network, never from the client', () => {
    it('shows the victim to the victim (the control for everything below)', async () => {
      const body = await portal(VICTIM.address)
      expect(body).toContain(`号码 ${VICTIM.masked} 因欠费停机，当前余额 ${VICTIM.balance} 元`)
    })

    it.each([
      ['X-Forwarded-For', { 'x-forwarded-for': VICTIM.address }],
      ['X-Forwarded-For naming the trusted proxy last', { 'x-forwarded-for': `${VICTIM.address}, ${PROXY}` }],
      ['X-MSISDN', { 'x-msisdn': VICTIM.msisdn }],
      ['X-MSISDN in national form', { 'x-msisdn': VICTIM.msisdn.slice(2) }],
      ['X-Forwarded-For and X-MSISDN together', { 'x-forwarded-for': VICTIM.address, 'x-msisdn': VICTIM.msisdn }],
      ['Forwarded, X-Real-IP, Client-IP and True-Client-IP', { forwarded: `for=${VICTIM.address}`, 'x-real-ip': VICTIM.address, 'client-ip': VICTIM.address, 'true-client-ip': VICTIM.address }],
    ])('a forged %s from an untrusted address is ignored', async (_what, headers) => {
      expectUnidentified(await portal(NOBODY, headers))
      expectAttackersOwnLine(await portal(ATTACKER.address, headers))
    })

    it('?msisdn= in the URL is ignored', async () => {
      expectUnidentified(await portal(NOBODY, {}, `?msisdn=${VICTIM.msisdn}`))
    })

    it('the same headers are believed from the trusted proxy (so the tests above can fail)', async () => {
      expect(await portal(PROXY, { 'x-forwarded-for': VICTIM.address })).toContain(VICTIM.masked)
      expect(await portal(PROXY, { 'x-forwarded-for': NOBODY, 'x-msisdn': VICTIM.msisdn })).toContain(VICTIM.masked)
    })

    it('the catch-all signs the socket address into the redirect token, not a forged X-Forwarded-For', async () => {
      const res = await a.app.inject({ url: '/x', headers: { host: 'news.example.com', accept: 'text/html', 'x-forwarded-for': VICTIM.address }, remoteAddress: NOBODY })
      const rt = new URL(res.headers.location as string).searchParams.get('rt')!
      expect(verifyRedirectToken(a.keys.redirectToken, rt)?.address).toBe(NOBODY)
    })

    describe('redirect tokens', () => {
      const exp = () => Math.floor(Date.now() / 1000) + 600
      const claims = (address: string, at = exp()) => ({ nasId: null, realm: 'default', address, exp: at })

      it('a valid token vouches for the address it names, from any socket (the control)', async () => {
        const rt = signRedirectToken(a.keys.redirectToken, claims(VICTIM.address))
        expect(await portal(NOBODY, {}, `?rt=${rt}`)).toContain(VICTIM.masked)
      })

      /** Tokens an attacker can make without the key; each must be ignored. */
      function forgeries(): [string, string][] {
        const own = signRedirectToken(a.keys.redirectToken, claims(NOBODY))
        const [, mac] = own.split('.')
        const victimPayload = Buffer.from(JSON.stringify(['r1', null, 'default', VICTIM.address, exp()])).toString('base64url')
        const valid = signRedirectToken(a.keys.redirectToken, claims(VICTIM.address))
        const [payload, goodMac] = valid.split('.') as [string, string]
        const flipped = `${goodMac.slice(0, 5)}${goodMac[5] === 'A' ? 'B' : 'A'}${goodMac.slice(6)}`
        return [
          ['the victim\'s address under the attacker\'s own MAC', `${victimPayload}.${mac}`],
          ['a flipped MAC character', `${payload}.${flipped}`],
          ['a MAC made with another key', signRedirectToken(a.keys.formToken, claims(VICTIM.address))],
          ['a MAC made with the continue-URL key', signRedirectToken(a.keys.continueUrl, claims(VICTIM.address))],
          ['an expired token', signRedirectToken(a.keys.redirectToken, claims(VICTIM.address, Math.floor(Date.now() / 1000) - 1))],
          ['no MAC at all', payload],
          ['an extra part', `${valid}.x`],
          ['padding after the MAC', `${valid}=`],
          ['a token of 600 characters', `${payload}${'A'.repeat(600)}.${goodMac}`],
        ]
      }

      it('a forged or altered token is ignored: the page shows the socket address\'s own identity', async () => {
        for (const [what, rt] of forgeries()) {
          const query = `?rt=${encodeURIComponent(rt)}`
          const nobody = await portal(NOBODY, {}, query)
          expect(nobody, what).toContain('无法自动识别您的号码')
          expect(nobody, what).not.toContain(VICTIM.masked)
          const attacker = await portal(ATTACKER.address, {}, query)
          expect(attacker, what).toContain(ATTACKER.masked)
          expect(attacker, what).not.toContain(VICTIM.masked)
        }
      })

      it('a forged token gets no probe success and no "not captive" either', async () => {
        const [, rt] = forgeries()[0]!
        const api = await a.app.inject({ url: `/.well-known/captive-portal?rt=${encodeURIComponent(rt)}`, remoteAddress: NOBODY })
        expect(JSON.parse(api.body).captive).toBe(true)
      })
    })
  })

  describe('security headers on every kind of response', () => {
    async function responses() {
      const rateLimited = await exhaust('10.5.9.1')
      return {
        'portal page': await a.app.inject({ url: '/portal', remoteAddress: VICTIM.address }),
        'portal page, gzip': await a.app.inject({ url: '/portal', headers: { 'accept-encoding': 'gzip' }, remoteAddress: VICTIM.address }),
        'catch-all 302': await a.app.inject({ url: '/x', headers: { host: 'news.example.com', accept: 'text/html' }, remoteAddress: VICTIM.address }),
        'catch-all 511': await a.app.inject({ url: '/x', headers: { host: 'api.example.com', accept: 'application/json' }, remoteAddress: VICTIM.address }),
        'catch-all HEAD': await a.app.inject({ method: 'HEAD', url: '/x', headers: { host: 'news.example.com' }, remoteAddress: VICTIM.address }),
        'probe success 204': await a.app.inject({ url: '/generate_204', headers: { host: 'connectivitycheck.gstatic.com' }, remoteAddress: ATTACKER.address }),
        'probe success 200': await a.app.inject({ url: '/hotspot-detect.html', headers: { host: 'captive.apple.com' }, remoteAddress: ATTACKER.address }),
        'probe captive 302': await a.app.inject({ url: '/generate_204', headers: { host: 'connectivitycheck.gstatic.com' }, remoteAddress: VICTIM.address }),
        'captive API': await a.app.inject({ url: '/.well-known/captive-portal', remoteAddress: VICTIM.address }),
        '404 JSON': await a.app.inject({ url: '/no/such/page', remoteAddress: VICTIM.address }),
        '404 HTML': await a.app.inject({ url: '/no/such/page', headers: { accept: 'text/html' }, remoteAddress: VICTIM.address }),
        '404 for a POST': await a.app.inject({ method: 'POST', url: '/portal', payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, remoteAddress: VICTIM.address }),
        '/healthz': await a.app.inject('/healthz'),
        '/readyz': await a.app.inject('/readyz'),
        '/metrics': await a.app.inject('/metrics'),
        '429': rateLimited,
      }
    }

    it('CSP forbids framing and all script; nosniff; no referrer', async () => {
      const all = await responses()
      expect(all['probe success 204'].statusCode).toBe(204)
      expect(all['catch-all 511'].statusCode).toBe(511)
      expect(all['429'].statusCode).toBe(429)
      expect(all['portal page, gzip'].headers['content-encoding']).toBe('gzip')
      for (const [name, res] of Object.entries(all)) {
        const csp = String(res.headers['content-security-policy'] ?? '')
        expect(csp, name).toContain("frame-ancestors 'none'")
        expect(csp, name).toContain("default-src 'none'")
        expect(csp, name).not.toMatch(/script-src|unsafe-eval/)
        expect(res.headers['x-content-type-options'], name).toBe('nosniff')
        expect(res.headers['referrer-policy'], name).toBe('no-referrer')
        // A redirect is never a framed document (browsers check framing on the page they end on);
        // the catch-all's 302 leaves X-Frame-Options out, every answer with a body carries it.
        if (res.statusCode === 302) expect(res.headers['x-frame-options'], name).toBeUndefined()
        else expect(res.headers['x-frame-options'], name).toBe('DENY')
      }
    })

    it('even the 400 for a path with broken percent-encoding carries them', async () => {
      const res = await a.app.inject({ url: '/portal/%E0%A4%A', remoteAddress: VICTIM.address })
      expect(res.statusCode).toBe(400)
      expect(res.headers['x-content-type-options']).toBe('nosniff')
      expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'")
    })
  })

  /** Ask for /portal until the limit answers; returns the first 429. */
  async function exhaust(remoteAddress: string, headers: Record<string, string> = {}) {
    const first = await a.app.inject({ url: '/portal', headers, remoteAddress })
    expect(first.statusCode).toBe(200)
    const limit = Number(first.headers['x-ratelimit-limit'])
    expect(limit).toBeGreaterThan(0)
    const rest = await Promise.all(Array.from({ length: limit - 1 }, () => a.app.inject({ url: '/portal', headers, remoteAddress })))
    expect(rest.map((r) => r.statusCode)).toEqual(Array(limit - 1).fill(200))
    const over = await a.app.inject({ url: '/portal', headers, remoteAddress })
    expect(over.statusCode).toBe(429)
    return over
  }

  describe('rate limit of /portal, per subscriber address', () => {
    it('answers 429 past the limit to that address only', async () => {
      const over = await exhaust('10.6.0.1')
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0)
      expect(over.headers['x-ratelimit-remaining']).toBe('0')
      expect((await a.app.inject({ url: '/portal', remoteAddress: '10.6.0.1' })).statusCode).toBe(429)
      expect((await a.app.inject({ url: '/portal', remoteAddress: '10.6.0.2' })).statusCode).toBe(200)
    })

    it('the limit is 60 a minute', async () => {
      const res = await a.app.inject({ url: '/portal', remoteAddress: '10.6.0.9' })
      expect(res.headers['x-ratelimit-limit']).toBe('60')
      expect(Number(res.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60)
    })

    it('behind the trusted proxy, counts each subscriber, not the proxy', async () => {
      await exhaust(PROXY, { 'x-forwarded-for': '10.6.0.3' })
      expect((await a.app.inject({ url: '/portal', headers: { 'x-forwarded-for': '10.6.0.4' }, remoteAddress: PROXY })).statusCode).toBe(200)
    })

    it('a forged X-Forwarded-For from an untrusted address does not dodge the limit', async () => {
      const statuses: number[] = []
      for (let n = 0; n < 61; n++) {
        const res = await a.app.inject({ url: '/portal', headers: { 'x-forwarded-for': `10.66.0.${n}` }, remoteAddress: '10.6.0.5' })
        statuses.push(res.statusCode)
      }
      expect(statuses).toEqual([...Array(60).fill(200), 429])
    })

    it('still holds for an address after 6,000 other addresses asked within the window', { timeout: 120_000 }, async () => {
      await exhaust('10.6.0.7')
      for (let chunk = 0; chunk < 60; chunk++) {
        const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => a.app.inject({ url: '/portal', remoteAddress: `10.67.${chunk}.${i + 1}` })))
        expect(answers.every((r) => r.statusCode === 200)).toBe(true)
      }
      expect((await a.app.inject({ url: '/portal', remoteAddress: '10.6.0.7' })).statusCode).toBe(429)
    })

    it('a 429 says it is a rate limit, not a bad request', async () => {
      const over = await exhaust('10.6.0.6')
      expect(over.json().error).not.toBe('HTTP.BAD_REQUEST')
      expect(over.json().error).toMatch(/^HTTP\.[A-Z_]+$/)
    })

    it('the catch-all is not the portal: it still redirects a client that hit the portal limit', async () => {
      const res = await a.app.inject({ url: '/x', headers: { host: 'news.example.com', accept: 'text/html' }, remoteAddress: '10.6.0.1' })
      expect(res.statusCode).toBe(302)
    })
  })

  describe('what the client writes is never reflected as markup', () => {
    const XSS = '"><script>alert(1)</script><a href="javascript:alert(2)">'

    it('continue, sig, rt, lang and Accept-Language are escaped or dropped', async () => {
      const query = new URLSearchParams({ continue: `http://x.example/${XSS}`, sig: XSS, rt: XSS, lang: XSS })
      for (const address of [VICTIM.address, NOBODY]) {
        const body = await portal(address, { 'accept-language': `en, ${XSS}` }, `?${query}`)
        expect(body).not.toMatch(/<script/i)
        expect(body).not.toContain('href="javascript:')
        expect(body).not.toMatch(/<a class="btn"/)
        const hidden = [...body.matchAll(/<input type="hidden" name="(continue|sig|rt)" value="([^"]*)">/g)].map((m) => unescapeHtml(m[2]!))
        expect(hidden).toContain(XSS)
      }
    })

    it('the 511 page escapes the portal URL it links to', async () => {
      const res = await a.app.inject({ url: `/${encodeURIComponent(XSS)}`, headers: { host: 'news.example.com', accept: '*/*' }, remoteAddress: NOBODY })
      expect(res.statusCode).toBe(511)
      expect(res.body).not.toMatch(/<script/i)
      expect(res.body.match(/<a /g)).toHaveLength(1)
    })
  })

  it('a continue URL harvested by another client is not offered to the victim', async () => {
    const harvested = await a.app.inject({ url: '/login', headers: { host: 'phish.example', accept: 'text/html' }, remoteAddress: '203.0.113.66' })
    const params = new URL(harvested.headers.location as string).searchParams
    const lure = new URLSearchParams({ continue: params.get('continue')!, sig: params.get('sig')! })
    const body = await portal(ATTACKER.address, {}, `?${lure}`)
    expect(body).toContain(ATTACKER.masked)
    expect(body).not.toContain('http://phish.example/login')
  })
})
