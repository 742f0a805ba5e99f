// Real-browser tests: Debian's Chromium driven by playwright-core, against the real app listening
// on 127.0.0.1 over a test database, with one suspended line whose session's framed IP is
// 127.0.0.1 (the address Chromium connects from), so the gateway identifies the browser exactly
// as it identifies a phone behind a PGW.
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { buildTestApp, type TestApp } from './app.ts'
import { createTestDatabase, type TestDatabase } from './database.ts'

/** Flags every launch needs here: headless, root, no GPU, and no attempt to reach the internet. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Where screenshots go (git-ignored). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-artifacts/screenshots/', import.meta.url))

/** The screenshot folder, created if needed; returns the path of `name` in it. */
export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  return join(SCREENSHOT_DIR, name)
}

/**
 * Launch Chromium at `executablePath` with the standard flags plus `extraArgs`
 * (e.g. `--host-resolver-rules=...`). playwright-core gives a non-persistent browser a fresh
 * temporary profile of its own and removes it on close (it refuses `--user-data-dir` here).
 */
export async function launchChromium(executablePath: string, extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 30_000 })
}

/** The subscriber every browser test plays. */
export const SUBSCRIBER = {
  msisdn: '8613800000077',
  masked: '138****0077',
  framedIp: '127.0.0.1',
  acctSessionId: 's-77',
} as const

/** The gateway under test, listening for real. */
export interface LiveGateway {
  test: TestApp
  database: TestDatabase
  port: number
  /** http://127.0.0.1:PORT */
  origin: string
  /** Put the line back into "suspended for arrears" or make it active. */
  setLineStatus(status: 'active' | 'suspended'): Promise<void>
  close(): Promise<void>
}

/** What the browser tests configure explicitly, so a changed default does not change the page. */
export const GATEWAY_ENV: Readonly<Record<string, string>> = {
  RECHARGE_CURRENCY: 'CNY',
  RECHARGE_AMOUNTS: '20,50,100',
  PAYMENT_METHODS: 'voucher,card',
}

/**
 * Build the app over a fresh test database (PGlite, or PostgreSQL when DATABASE_URL is set), seed
 * a NAS for 127.0.0.0/8, a line suspended for arrears (balance -10.00 CNY) and its session on
 * 127.0.0.1 through the real session recorder, then listen on 127.0.0.1:0 and load /portal once
 * (app.inject) to warm it. `env` is added to GATEWAY_ENV.
 */
export async function startLiveGateway(env: Record<string, string> = {}): Promise<LiveGateway> {
  const database = await createTestDatabase()
  const db = database.handle.db
  let test: TestApp | undefined
  try {
    const nas = await db
      .insertInto('nasClients')
      .values({
        name: 'browser-test-nas',
        address: '127.0.0.0/8',
        secret: 'testing123',
        realm: 'default',
        requireMessageAuthenticator: false,
        coaHost: null,
        coaPort: 3799,
        liftProfile: 'coa',
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await db
      .insertInto('lines')
      .values({ msisdn: SUBSCRIBER.msisdn, balanceMinor: -1000, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 })
      .execute()
    const recorder = createSessionRecorder(db, { touchAfterMs: 0 })
    const outcome = await recorder.record({
      kind: 'start',
      nasId: nas.id,
      realm: 'default',
      acctSessionId: SUBSCRIBER.acctSessionId,
      msisdn: SUBSCRIBER.msisdn,
      imsi: null,
      framedIp: SUBSCRIBER.framedIp,
      framedIpv6Prefix: null,
      delegatedIpv6Prefix: null,
      eventTime: new Date(),
      stopReason: null,
    })
    if (outcome !== 'stored') throw new Error(`session start was not stored: ${outcome}`)
    await recorder.drain()

    test = await buildTestApp(database.handle, { ...GATEWAY_ENV, ...env })
    await test.app.listen({ host: '127.0.0.1', port: 0 })
    const port = (test.app.server.address() as AddressInfo).port
    // Warm the server once (template compilation, first queries), as a production one is, and
    // check the seed: the page for 127.0.0.1 must show the line.
    const warm = await test.app.inject({ method: 'GET', url: '/portal', remoteAddress: SUBSCRIBER.framedIp, headers: { host: `127.0.0.1:${port}` } })
    if (warm.statusCode !== 200 || !warm.body.includes(SUBSCRIBER.masked)) {
      throw new Error(`seeded gateway does not show ${SUBSCRIBER.masked} on /portal: ${warm.statusCode} ${warm.body.slice(0, 300)}`)
    }
    const app = test.app
    return {
      test,
      database,
      port,
      origin: `http://127.0.0.1:${port}`,
      async setLineStatus(status) {
        await db
          .updateTable('lines')
          .set(status === 'active' ? { status: 'active', suspensionReason: null } : { status: 'suspended', suspensionReason: 'arrears' })
          .where('msisdn', '=', SUBSCRIBER.msisdn)
          .execute()
      },
      async close() {
        await app.close().catch(() => {})
        await database.destroy()
      },
    }
  } catch (err) {
    await test?.app.close().catch(() => {})
    await database.destroy()
    throw err
  }
}

/** 2G-ish link: 250 kbit/s both ways, 300 ms round trip. */
export const SLOW_2G = { offline: false, latency: 300, downloadThroughput: 250_000 / 8, uploadThroughput: 250_000 / 8 } as const

/** Apply SLOW_2G to `page` through the DevTools protocol (works with page JavaScript disabled). */
export async function throttle(context: BrowserContext, page: Page): Promise<void> {
  const cdp = await context.newCDPSession(page)
  await cdp.send('Network.enable')
  await cdp.send('Network.emulateNetworkConditions', SLOW_2G)
}

/**
 * The root element's scroll and client widths, read through Playwright's own evaluate (which
 * works with page JavaScript disabled). A string, because tsconfig has no DOM lib.
 */
export async function documentWidths(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate<{ scrollWidth: number; clientWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })',
  )
}

/** The page's Navigation and Paint Timing (ms since navigation start, rounded; null if absent). */
export async function navigationTiming(page: Page): Promise<{ responseEnd: number | null; domContentLoaded: number | null; firstContentfulPaint: number | null }> {
  return page.evaluate<{ responseEnd: number | null; domContentLoaded: number | null; firstContentfulPaint: number | null }>(`(() => {
    const nav = performance.getEntriesByType('navigation')[0]
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]
    const ms = (v) => (typeof v === 'number' && v > 0 ? Math.round(v) : null)
    return { responseEnd: ms(nav && nav.responseEnd), domContentLoaded: ms(nav && nav.domContentLoadedEventEnd), firstContentfulPaint: ms(fcp && fcp.startTime) }
  })()`)
}
