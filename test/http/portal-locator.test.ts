// The catch-all's portal URL: what it learned of a socket address is reused for a moment (the same
// token, the same signature for the same URL), never across addresses, never for a request named
// by a trusted proxy's headers, and never past LOCATED_REUSE_MS — a trusted-proxy change made live
// applies within it. Every URL it builds verifies like one built from scratch.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { deriveKeys } from '../../src/config/keys.ts'
import { type IdentificationConfig, loadConfig } from '../../src/config/load-config.ts'
import { verifiedContinueUrl } from '../../src/http/walled-garden/continue-url.ts'
import { createPortalLocator, LOCATED_REUSE_MS } from '../../src/http/walled-garden/portal-locator.ts'
import { createIdentifier } from '../../src/identification/identify.ts'
import { verifyRedirectToken } from '../../src/identification/redirect-token.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

const PORTAL = 'http://portal.carrier.test'
const PROXY = '192.0.2.9'

function request(remoteAddress: string, host: string, url: string, headers: Record<string, string> = {}) {
  return { socket: { remoteAddress, localAddress: '127.0.0.1', localPort: 8080 }, headers: { host, ...headers }, url }
}

describe('the portal locator of the catch-all', () => {
  let t: TestDatabase
  let identification: IdentificationConfig
  const keys = deriveKeys(`locator-${randomUUID()}`)
  let locate: ReturnType<typeof createPortalLocator>

  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false })
    const config = loadConfig({ DATA_DIR: 'memory', PORTAL_URL: PORTAL, TRUSTED_PROXIES: PROXY })
    identification = config.identification
    const identifier = createIdentifier({ db: t.handle.db, config: () => identification, redirectTokenKey: keys.redirectToken, sessionMaxAgeMs: 900_000 })
    locate = createPortalLocator({ portal: config.portal, keys, identifier })
  })
  afterAll(async () => {
    vi.useRealTimers()
    await t?.destroy()
  })

  function parts(location: string) {
    expect(location.startsWith(`${PORTAL}/portal?`)).toBe(true)
    const query = new URL(location).searchParams
    return { rt: query.get('rt') ?? '', continue: query.get('continue'), sig: query.get('sig') }
  }

  it('signs each URL for the address that asked, and reuses the token of that address', () => {
    const first = parts(locate(request('10.9.0.1', 'news.example.com', '/a?x=1&y=2')))
    const second = parts(locate(request('10.9.0.1', 'news.example.com', '/b')))
    const other = parts(locate(request('10.9.0.2', 'news.example.com', '/a?x=1&y=2')))
    // The same request again gets the same answer; the one before it, asked again, its own.
    expect(locate(request('10.9.0.1', 'news.example.com', '/b'))).toBe(locate(request('10.9.0.1', 'news.example.com', '/b')))
    const again = parts(locate(request('10.9.0.1', 'news.example.com', '/a?x=1&y=2')))
    expect(verifiedContinueUrl(keys.continueUrl, again.continue, again.sig, '10.9.0.1')).toBe('http://news.example.com/a?x=1&y=2')
    expect(parts(locate(request('10.9.0.1', 'other.example.com', '/b'))).continue).toBe('http://other.example.com/b')
    expect(first.continue).toBe('http://news.example.com/a?x=1&y=2')
    expect(verifiedContinueUrl(keys.continueUrl, first.continue, first.sig, '10.9.0.1')).toBe('http://news.example.com/a?x=1&y=2')
    expect(verifiedContinueUrl(keys.continueUrl, second.continue, second.sig, '10.9.0.1')).toBe('http://news.example.com/b')
    // Reused for the same address, never handed to another one.
    expect(second.rt).toBe(first.rt)
    expect(other.rt).not.toBe(first.rt)
    expect(verifyRedirectToken(keys.redirectToken, first.rt)?.address).toBe('10.9.0.1')
    expect(verifyRedirectToken(keys.redirectToken, other.rt)?.address).toBe('10.9.0.2')
    expect(verifiedContinueUrl(keys.continueUrl, other.continue, first.sig, '10.9.0.2')).toBeUndefined()
    expect(verifiedContinueUrl(keys.continueUrl, other.continue, other.sig, '10.9.0.2')).toBe('http://news.example.com/a?x=1&y=2')
  })

  it('leaves the original URL out when told to, or when it cannot be carried', () => {
    expect(parts(locate(request('10.9.0.3', 'news.example.com', '/x'), false)).continue).toBeNull()
    const bad = parts(locate(request('10.9.0.3', 'news.example.com', '/has space')))
    expect(bad.continue).toBeNull()
    expect(verifyRedirectToken(keys.redirectToken, bad.rt)?.address).toBe('10.9.0.3')
  })

  it('names a subscriber behind a trusted proxy from each request, never from a remembered one', () => {
    const a = parts(locate(request(PROXY, 'news.example.com', '/', { 'x-forwarded-for': '10.9.1.1' })))
    const b = parts(locate(request(PROXY, 'news.example.com', '/', { 'x-forwarded-for': '10.9.1.2' })))
    expect(verifyRedirectToken(keys.redirectToken, a.rt)?.address).toBe('10.9.1.1')
    expect(verifyRedirectToken(keys.redirectToken, b.rt)?.address).toBe('10.9.1.2')
    expect(verifiedContinueUrl(keys.continueUrl, b.continue, b.sig, '10.9.1.2')).toBe('http://news.example.com/')
  })

  it('forgets what it learned after LOCATED_REUSE_MS: a live trusted-proxy change applies', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const before = parts(locate(request('10.9.2.1', 'news.example.com', '/', { 'x-forwarded-for': '10.9.2.77' })))
    expect(verifyRedirectToken(keys.redirectToken, before.rt)?.address).toBe('10.9.2.1')
    identification = { ...identification, trustedProxies: [PROXY, '10.9.2.1'] }
    vi.advanceTimersByTime(LOCATED_REUSE_MS - 1)
    const soon = parts(locate(request('10.9.2.1', 'news.example.com', '/', { 'x-forwarded-for': '10.9.2.77' })))
    expect(soon.rt).toBe(before.rt)
    vi.advanceTimersByTime(2)
    const after = parts(locate(request('10.9.2.1', 'news.example.com', '/', { 'x-forwarded-for': '10.9.2.77' })))
    expect(verifyRedirectToken(keys.redirectToken, after.rt)?.address).toBe('10.9.2.77')
    vi.useRealTimers()
  })
})
