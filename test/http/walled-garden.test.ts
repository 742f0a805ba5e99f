// The catch-all in front of every route: a request for a foreign Host is answered before any
// route, with a 302 to the portal (or 511 to a client that does not want HTML), and without any
// database work. The whole file runs over a database that is closed before the first request:
// every catch-all answer below is given with no database at all, while /portal degrades.
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_CONTINUE_URL, originalUrl, verifiedContinueUrl } from '../../src/http/walled-garden/continue-url.ts'
import { issueFormToken } from '../../src/http/portal/form-token.ts'
import { REDIRECT_SECURITY_HEADERS } from '../../src/http/plugins/security-headers.ts'
import { verifyRedirectToken } from '../../src/identification/redirect-token.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

const PORTAL = 'http://portal.carrier.test'
const ENV = { PORTAL_URL: PORTAL, RECHARGE_USSD: '*101#', RECHARGE_SMS_NUMBER: '10658', RECHARGE_SMS_TEXT: 'CZ', RECHARGE_HOTLINE: '95555' }
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'] as const
const SUBSCRIBER = '10.1.0.5'
const FOREIGN = 'news.example.com'

/** One request with exactly these headers (fetch would not let us set Host), the whole answer read. */
function rawHttp(url: string, method: string, headers: Record<string, string>, payload?: string, agent?: http.Agent): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent: agent ?? false }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    request.on('error', reject)
    request.end(payload)
  })
}

function unescapeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

describe('the catch-all (with the database closed: it must not need one)', () => {
  let t: TestDatabase
  let a: TestApp

  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false })
    a = await buildTestApp(t.handle, ENV)
    await t.handle.close()
  })
  afterAll(async () => {
    await a?.app.close()
    await t?.destroy()
  })

  /** The portal URL a catch-all answer points at, checked to be the portal's own. */
  function portalTarget(location: string | undefined): URLSearchParams {
    expect(location).toBeDefined()
    const url = new URL(location!)
    expect(url.origin).toBe(PORTAL)
    expect(url.pathname).toBe('/portal')
    return url.searchParams
  }

  function expectSignedOriginal(params: URLSearchParams, original: string): void {
    expect(params.get('continue')).toBe(original)
    const seenAddress = verifyRedirectToken(a.keys.redirectToken, params.get('rt') ?? '')!.address
    expect(verifiedContinueUrl(a.keys.continueUrl, original, params.get('sig'), seenAddress)).toBe(new URL(original).href)
  }

  function expectRedirectToken(params: URLSearchParams, address: string): void {
    const claims = verifyRedirectToken(a.keys.redirectToken, params.get('rt') ?? '')
    expect(claims).toMatchObject({ nasId: null, realm: 'default', address })
    const now = Date.now() / 1000
    expect(claims!.exp).toBeGreaterThan(now + 500)
    expect(claims!.exp).toBeLessThanOrEqual(now + 601)
  }

  function body(method: string): { payload?: string; headers: Record<string, string> } {
    return ['POST', 'PUT', 'PATCH'].includes(method) ? { payload: 'q=recharge&n=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } } : { headers: {} }
  }

  describe.each(METHODS)('%s on a foreign host', (method) => {
    it('redirects a browser (Accept: text/html) to the portal with the signed original URL and a redirect token', async () => {
      const extra = body(method)
      const res = await a.app.inject({
        method,
        url: '/world/today.html?id=7&lang=zh',
        headers: { ...extra.headers, host: FOREIGN, accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
        remoteAddress: SUBSCRIBER,
        ...(extra.payload === undefined ? {} : { payload: extra.payload }),
      })
      expect(res.statusCode).toBe(302)
      expect(res.headers['cache-control']).toBe('no-store')
      const params = portalTarget(res.headers.location as string)
      expectSignedOriginal(params, `http://${FOREIGN}/world/today.html?id=7&lang=zh`)
      expectRedirectToken(params, SUBSCRIBER)
      expect([...params.keys()].sort()).toEqual(['continue', 'rt', 'sig'])
    })

    it.each([['*/*'], ['application/json'], [undefined]])('answers 511 with a link to the portal when Accept is %s', async (accept) => {
      const res = await a.app.inject({
        method,
        url: '/api/feed?page=2',
        headers: { ...body(method).headers, host: `${FOREIGN}:8080`, ...(accept === undefined ? {} : { accept }) },
        remoteAddress: SUBSCRIBER,
      })
      expect(res.statusCode).toBe(511)
      expect(res.headers['cache-control']).toBe('no-store')
      expect(res.headers.location).toBeUndefined()
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      if (method === 'HEAD') return
      const links = [...res.body.matchAll(/<a href="([^"]*)">/g)].map((m) => unescapeHtml(m[1]!))
      expect(links).toHaveLength(1)
      const params = portalTarget(links[0])
      expectSignedOriginal(params, `http://${FOREIGN}:8080/api/feed?page=2`)
      expectRedirectToken(params, SUBSCRIBER)
      const refresh = /<meta http-equiv="refresh" content="0; url=([^"]*)">/.exec(res.body)
      expect(unescapeHtml(refresh![1]!)).toBe(links[0])
    })
  })

  it('answers before reading the body: a POST larger than the body limit is still redirected, not 413', async () => {
    const res = await a.app.inject({
      method: 'POST',
      url: '/upload',
      headers: { host: FOREIGN, accept: 'text/html', 'content-type': 'application/octet-stream' },
      payload: Buffer.alloc(200 * 1024, 1),
      remoteAddress: SUBSCRIBER,
    })
    expect(res.statusCode).toBe(302)
    expectSignedOriginal(portalTarget(res.headers.location as string), `http://${FOREIGN}/upload`)
  })

  it.each([
    'portal.carrier.test.evil.example',
    'evil.example',
    'EVIL.example:8443',
    'portal.carrier.test.',
    'localhost.evil.example',
    '127.0.0.2',
    '10.0.0.1:80',
    'xn--fiqs8s.example',
  ])('sends Host %s to the portal host, never back to the caught host', async (host) => {
    const res = await a.app.inject({ url: '/login', headers: { host, accept: 'text/html' }, remoteAddress: SUBSCRIBER })
    expect(res.statusCode).toBe(302)
    const params = portalTarget(res.headers.location as string)
    expectSignedOriginal(params, `http://${host.toLowerCase()}/login`)
  })

  it.each(['localhost', 'LOCALHOST:8080', 'portal.carrier.test', 'Portal.Carrier.Test:80', '127.0.0.1:8080', '[::1]:8080'])(
    'does not catch the portal\'s own host %s',
    async (host) => {
      const res = await a.app.inject({ url: '/healthz', headers: { host, accept: 'text/html' } })
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ status: 'ok' })
    },
  )

  it('catches /portal, /healthz and /metrics too when they are asked of a foreign host', async () => {
    for (const url of ['/portal', '/healthz', '/metrics', '/.well-known/captive-portal']) {
      const res = await a.app.inject({ url, headers: { host: FOREIGN, accept: 'text/html' }, remoteAddress: SUBSCRIBER })
      expect(res.statusCode, url).toBe(302)
      expectSignedOriginal(portalTarget(res.headers.location as string), `http://${FOREIGN}${url}`)
    }
  })

  describe('an original URL that cannot be carried safely is dropped, the redirect stays', () => {
    const prefix = `http://${FOREIGN}`

    it(`carries an original URL of exactly ${MAX_CONTINUE_URL} characters and drops one of ${MAX_CONTINUE_URL + 1}`, async () => {
      const fits = `/${'a'.repeat(MAX_CONTINUE_URL - prefix.length - 1)}`
      const atLimit = await a.app.inject({ url: fits, headers: { host: FOREIGN, accept: 'text/html' }, remoteAddress: SUBSCRIBER })
      expectSignedOriginal(portalTarget(atLimit.headers.location as string), `${prefix}${fits}`)

      const over = await a.app.inject({ url: `${fits}b`, headers: { host: FOREIGN, accept: 'text/html' }, remoteAddress: SUBSCRIBER })
      expect(over.statusCode).toBe(302)
      const params = portalTarget(over.headers.location as string)
      expect(params.has('continue')).toBe(false)
      expect(params.has('sig')).toBe(false)
      expectRedirectToken(params, SUBSCRIBER)
    })

    it.each([
      ['an underscore', 'bad_host.example'],
      ['non-ASCII', '例子.测试'],
      ['an IPv6 literal', '[2001:db8::1]'],
      ['userinfo', 'evil.example@portal.carrier.test'],
      ['a path', 'evil.example/x'],
      ['a backslash', 'evil.example\\x'],
      ['a percent sign', 'evil%2eexample'],
      ['more than 253 characters', `${'a'.repeat(250)}.example`],
      ['an empty port', 'evil.example:'],
    ])('drops the original URL when the Host has %s, and still redirects with a token', async (_what, host) => {
      const res = await a.app.inject({ url: '/x', headers: { host, accept: 'text/html' }, remoteAddress: SUBSCRIBER })
      expect(res.statusCode).toBe(302)
      const params = portalTarget(res.headers.location as string)
      expect(params.has('continue')).toBe(false)
      expect(params.has('sig')).toBe(false)
      expectRedirectToken(params, SUBSCRIBER)
    })

    it('never builds an original URL from control characters, whitespace or backslashes', () => {
      for (const path of ['/a\u0000b', '/a\u0001', '/a\u001fb', '/a\u007fb', '/a b', '/a\tb', '/a\nb', '/a\u00a0b', '/a\u2028b', '/a\\b', '/\\\\evil.example']) {
        expect(originalUrl(FOREIGN, path), JSON.stringify(path)).toBeUndefined()
      }
      expect(originalUrl(FOREIGN, 'http://evil.example/x')).toBeUndefined()
      expect(originalUrl(FOREIGN, '*')).toBeUndefined()
      expect(originalUrl(undefined, '/x')).toBeUndefined()
      expect(originalUrl('News.Example.COM:81', '/x')).toBe('http://news.example.com:81/x')
    })

    describe('over a real socket, where the request line is not normalised first', () => {
      let port: number
      beforeAll(async () => {
        await a.app.listen({ port: 0, host: '127.0.0.1' })
        port = (a.app.server.address() as AddressInfo).port
      })

      function raw(requestLine: string, headerLines: string[]): Promise<{ status: number; headers: Record<string, string> }> {
        return new Promise((resolve, reject) => {
          const chunks: Buffer[] = []
          const socket = net.connect(port, '127.0.0.1', () => {
            socket.end(Buffer.from(`${requestLine}\r\n${[...headerLines, 'Accept: text/html', 'Connection: close'].join('\r\n')}\r\n\r\n`, 'latin1'))
          })
          socket.on('data', (chunk: Buffer) => chunks.push(chunk))
          socket.on('error', reject)
          socket.on('close', () => {
            const [head = ''] = Buffer.concat(chunks).toString('latin1').split('\r\n\r\n')
            const [status = '', ...lines] = head.split('\r\n')
            const headers: Record<string, string> = {}
            for (const line of lines) {
              const at = line.indexOf(':')
              headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim()
            }
            resolve({ status: Number(status.split(' ')[1]), headers })
          })
        })
      }

      it.each([
        ['a backslash in the path', 'GET /a\\b HTTP/1.1', [`Host: ${FOREIGN}`]],
        ['an absolute-form request target', 'GET http://evil.example/x HTTP/1.1', [`Host: ${FOREIGN}`]],
        ['the asterisk request target', 'OPTIONS * HTTP/1.1', [`Host: ${FOREIGN}`]],
        ['a backslash in the Host', 'GET /x HTTP/1.1', [`Host: ${FOREIGN}\\evil.example`]],
        ['a Latin-1 byte in the Host', 'GET /x HTTP/1.1', [`Host: ${FOREIGN}\u00e9`]],
        ['no Host at all (HTTP/1.0)', 'GET /x HTTP/1.0', []],
      ] as const)('redirects a request with %s without an original URL', async (_what, requestLine, headers) => {
        const res = await raw(requestLine, [...headers])
        expect(res.status).toBe(302)
        const params = portalTarget(res.headers.location)
        expect(params.has('continue')).toBe(false)
        expectRedirectToken(params, '127.0.0.1')
      })

      it.each(METHODS)('answers %s for a foreign host on the server itself, before any route: 302 with every security header, 511 without HTML', async (method) => {
        const target = `http://127.0.0.1:${port}/news/today?id=7`
        const asBrowser = await rawHttp(target, method, { host: FOREIGN, accept: 'text/html' })
        expect(asBrowser.status).toBe(302)
        expect(asBrowser.headers['cache-control']).toBe('no-store')
        for (const [name, value] of Object.entries(REDIRECT_SECURITY_HEADERS)) expect(asBrowser.headers[name], name).toBe(value)
        expect(asBrowser.headers['content-security-policy']).toContain("frame-ancestors 'none'")
        expect(asBrowser.headers['x-content-type-options']).toBe('nosniff')
        expect(asBrowser.headers['referrer-policy']).toBe('no-referrer')
        // Nothing logs a caught 302, so it carries no request id; the 511 (a page) does.
        expect(asBrowser.headers['x-request-id']).toBeUndefined()
        expectSignedOriginal(portalTarget(asBrowser.headers.location as string), `http://${FOREIGN}/news/today?id=7`)
        const asApp = await rawHttp(target, method, { host: FOREIGN, accept: 'application/json' })
        expect(asApp.status).toBe(511)
        expect(asApp.headers['content-type']).toBe('text/html; charset=utf-8')
        expect(asApp.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
        expect(asApp.headers['x-frame-options']).toBe('DENY')
        if (method !== 'HEAD') expect(unescapeHtml(asApp.body)).toContain(`${PORTAL}/portal?`)
      })

      it('tells hosts apart request by request on one connection: foreign, probe host, probe path, own', async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
        const get = (host: string, path: string) => rawHttp(`http://127.0.0.1:${port}${path}`, 'GET', { host, accept: 'text/html' }, undefined, agent)
        try {
          // A probe host on a path that is no probe: the raw catch-all (no request id on its 302).
          const notProbe = await get('connectivitycheck.gstatic.com', '/news')
          expect(notProbe.status).toBe(302)
          expect(notProbe.headers['x-request-id']).toBeUndefined()
          expectSignedOriginal(portalTarget(notProbe.headers.location as string), 'http://connectivitycheck.gstatic.com/news')
          // The same host on its probe path goes to the app (the line's state decides; unknown here: captive).
          const probe = await get('connectivitycheck.gstatic.com', '/generate_204')
          expect(probe.status).toBe(302)
          expect(probe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
          for (const [host, status] of [[FOREIGN, 302], ['portal.carrier.test', 200], [FOREIGN, 302], ['PORTAL.carrier.test:8080', 200], [`${FOREIGN}:8080`, 302]] as const) {
            const res = await get(host, host.toLowerCase().startsWith('portal.') ? '/healthz' : '/page')
            expect(res.status, host).toBe(status)
            if (status === 302) expectSignedOriginal(portalTarget(res.headers.location as string), `http://${host}/page`)
          }
        } finally {
          agent.destroy()
        }
      })

      it('keeps a keep-alive connection usable after answering a request whose body it never read', async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
        try {
          const target = `http://127.0.0.1:${port}/upload`
          const first = await rawHttp(target, 'POST', { host: FOREIGN, accept: 'text/html', 'content-type': 'text/plain' }, 'x'.repeat(200_000), agent)
          expect(first.status).toBe(302)
          const second = await rawHttp(target, 'GET', { host: FOREIGN, accept: 'text/html' }, undefined, agent)
          expect(second.status).toBe(302)
          const own = await rawHttp(`http://127.0.0.1:${port}/healthz`, 'GET', { host: 'portal.carrier.test' }, undefined, agent)
          expect(own.status).toBe(200)
        } finally {
          agent.destroy()
        }
      })

      it('still carries a plain original URL over the same socket', async () => {
        const res = await raw('GET /plain/page?x=1 HTTP/1.1', [`Host: ${FOREIGN}`])
        expect(res.status).toBe(302)
        expectSignedOriginal(portalTarget(res.headers.location), `http://${FOREIGN}/plain/page?x=1`)
      })
    })
  })

  it('redirects a foreign-host request whose path has broken percent-encoding, like any other', async () => {
    const res = await a.app.inject({ url: '/search/%E0%A4%A', headers: { host: FOREIGN, accept: 'text/html' }, remoteAddress: SUBSCRIBER })
    expect(res.statusCode).toBe(302)
    const params = portalTarget(res.headers.location as string)
    expectRedirectToken(params, SUBSCRIBER)
  })

  it('counts what it answered, by kind, each answer once however often it is scraped', async () => {
    const counted = async () => {
      const metrics = (await a.app.inject('/metrics')).body
      const value = (answer: string) => Number(new RegExp(`^gateway_walled_garden_requests_total\\{answer="${answer}"\\} (\\d+)$`, 'm').exec(metrics)?.[1])
      return { redirect: value('redirect'), unauthenticated: value('511') }
    }
    const before = await counted()
    expect(before.redirect).toBeGreaterThanOrEqual(0)
    expect(before.unauthenticated).toBeGreaterThanOrEqual(0)
    for (let i = 0; i < 3; i++) await a.app.inject({ url: '/count-me', headers: { host: FOREIGN, accept: 'text/html' } })
    await a.app.inject({ url: '/count-me', headers: { host: FOREIGN, accept: 'application/json' } })
    expect(await counted()).toEqual({ redirect: before.redirect + 3, unauthenticated: before.unauthenticated + 1 })
    expect(await counted()).toEqual({ redirect: before.redirect + 3, unauthenticated: before.unauthenticated + 1 })
  })

  describe('meanwhile, with the database gone', () => {
    it('a voucher POST answers 503 with Retry-After and a clear page, not a bare 500', async () => {
      const form = { ft: issueFormToken(a.keys.formToken, SUBSCRIBER), serial: 'X-0001', pin: '12345678', msisdn: '13800000001', lang: 'en' }
      const res = await a.app.inject({
        method: 'POST',
        url: '/recharge/voucher',
        remoteAddress: SUBSCRIBER,
        headers: { host: 'portal.carrier.test', accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      })
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(res.body).toContain('The service is briefly unavailable; try again in a moment')
    })

    it('is really gone: /readyz says so', async () => {
      const res = await a.app.inject('/readyz')
      expect(res.statusCode).toBe(503)
      expect(res.json().checks.database.ok).toBe(false)
    })

    it('/portal degrades to a 200 page with the offline ways to recharge, in Chinese by default', async () => {
      const res = await a.app.inject({ url: '/portal', remoteAddress: SUBSCRIBER })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.headers['cache-control']).toBe('private, no-store')
      expect(res.body).toContain('<html lang="zh-CN">')
      expect(res.body).toContain('暂时无法查询您的号码')
      expect(res.body).toContain('<li>拨打 *101#</li>')
      expect(res.body).toContain('<li>发送 CZ 到 10658</li>')
      expect(res.body).toContain('<li>致电 95555</li>')
      expect(res.body).not.toContain('<form')
      expect(res.body).not.toMatch(/\d{3}\*{4}\d{4}/)
    })

    it('/portal degrades in English too, and keeps what the catch-all carried in its language link', async () => {
      const caught = await a.app.inject({ url: '/x', headers: { host: FOREIGN, accept: 'text/html' }, remoteAddress: SUBSCRIBER })
      const target = new URL(caught.headers.location as string)
      const res = await a.app.inject({ url: `/portal${target.search}`, headers: { 'accept-language': 'en-GB,en;q=0.9' }, remoteAddress: SUBSCRIBER })
      expect(res.statusCode).toBe(200)
      expect(res.body).toContain('<html lang="en">')
      expect(res.body).toContain('We cannot check your line right now')
      expect(res.body).toContain('<li>Dial *101#</li>')
      expect(res.body).toContain('<li>Text CZ to 10658</li>')
      expect(res.body).toContain('<li>Call 95555</li>')
      const switchHref = unescapeHtml(/<p class="lang"><a href="([^"]*)"/.exec(res.body)![1]!)
      const carried = new URL(switchHref, PORTAL).searchParams
      expect(carried.get('continue')).toBe(target.searchParams.get('continue'))
      expect(carried.get('rt')).toBe(target.searchParams.get('rt'))
      expect(carried.get('lang')).toBe('zh-CN')
    })

    it('a captive probe is answered captive (line state unknown), not with a 5xx', async () => {
      const res = await a.app.inject({ url: '/generate_204', headers: { host: 'connectivitycheck.gstatic.com' }, remoteAddress: SUBSCRIBER })
      expect(res.statusCode).toBe(302)
      portalTarget(res.headers.location as string)
    })

    it('the RFC 8908 API answers captive, not with a 5xx', async () => {
      const res = await a.app.inject({ url: '/.well-known/captive-portal', remoteAddress: SUBSCRIBER })
      expect(res.statusCode).toBe(200)
      expect(JSON.parse(res.body)).toEqual({ captive: true, 'user-portal-url': `${PORTAL}/portal` })
    })
  })
})
