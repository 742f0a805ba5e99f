// The captive-portal mini-browser's path through the walled garden, in a real Chromium with
// JavaScript off on a 240×320 screen: a page on a foreign host is caught and the browser lands on
// the portal with the subscriber's masked number; once the line is active, the same page says so
// and offers the way back to the page that was caught.
//
// How the browser reaches the gateway for a foreign host: Chromium refuses to override Host
// (extraHTTPHeaders { host } fails navigation with net::ERR_INVALID_ARGUMENT), so the test does
// what the network does (DNS/DNAT to the walled garden): --host-resolver-rules maps the foreign
// hosts and the portal's own public host to the gateway's 127.0.0.1:PORT. Chromium still sends the
// real Host header, so the gateway's catch-all sees exactly what it sees in production.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { documentWidths, launchChromium, type LiveGateway, screenshotPath, startLiveGateway, SUBSCRIBER } from '../helpers/browser.ts'
import { chromiumPath, peerAvailable } from '../helpers/peers.ts'

const chromium = chromiumPath()
const run = peerAvailable('Chromium', chromium ? undefined : 'no chromium or chromium-browser on PATH or in /usr/bin')

/** The portal's public host (PORTAL_URL), resolved to the gateway like the foreign hosts. */
const PORTAL_HOST = 'portal.carrier.test'
const FOREIGN_PAGE = 'http://example.com/news'
const PROBE = 'http://connectivitycheck.gstatic.com/generate_204'
const VIEWPORT = { width: 240, height: 320 }

describe.runIf(run)('the captive mini-browser flow, JavaScript off', () => {
  let gateway: LiveGateway
  let browser: Browser

  beforeAll(async () => {
    gateway = await startLiveGateway({ PORTAL_URL: `http://${PORTAL_HOST}` })
    const to = `127.0.0.1:${gateway.port}`
    const rules = ['example.com', PORTAL_HOST, new URL(PROBE).hostname].map((host) => `MAP ${host} ${to}`).join(', ')
    browser = await launchChromium(chromium!, [`--host-resolver-rules=${rules}`])
  })

  afterAll(async () => {
    await browser?.close()
    await gateway?.close()
  })

  async function withPage<T>(body: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: VIEWPORT, locale: 'en-US' })
    try {
      return await body(await context.newPage(), context)
    } finally {
      await context.close()
    }
  }

  /** Open `url` on the foreign host; return where the browser ended. */
  async function openForeign(page: Page, url: string): Promise<URL> {
    const response = await page.goto(url)
    expect(response?.status()).toBe(200)
    const caught = response?.request().redirectedFrom()
    expect(caught?.url()).toBe(url)
    expect((await caught?.response())?.status()).toBe(302)
    const landed = new URL(page.url())
    expect(landed.origin).toBe(`http://${PORTAL_HOST}`)
    expect(landed.pathname).toBe('/portal')
    return landed
  }

  it('catches a page on a foreign host and lands on the portal showing the masked number', async () => {
    await gateway.setLineStatus('suspended')
    await withPage(async (page) => {
      const landed = await openForeign(page, FOREIGN_PAGE)
      expect(landed.searchParams.get('continue')).toBe(FOREIGN_PAGE)

      await expect.poll(() => page.locator('h1').innerText()).toBe('Your mobile service is paused')
      expect(await page.getByText(`Line ${SUBSCRIBER.masked} is suspended`).isVisible()).toBe(true)
      expect(await page.getByLabel('Card serial number', { exact: true }).isVisible()).toBe(true)
      // While suspended there is nowhere to continue to.
      expect(await page.getByRole('link', { name: /^Continue to/ }).count()).toBe(0)
      await page.screenshot({ path: screenshotPath('captive-suspended-240x320-en.png'), fullPage: true })
    })
  })

  it('says the line is active once it is, and links back to the caught page in both languages', async () => {
    await gateway.setLineStatus('suspended')
    await withPage(async (page) => {
      await openForeign(page, FOREIGN_PAGE)
      expect(await page.getByText(SUBSCRIBER.masked).isVisible()).toBe(true)

      // The recharge went through and the line was restored; the subscriber reloads the page.
      await gateway.setLineStatus('active')
      await page.reload()
      await expect.poll(() => page.locator('h1').innerText()).toBe('Your line is active')
      expect(await page.getByText(`Line ${SUBSCRIBER.masked} is not suspended. You can browse normally.`, { exact: true }).isVisible()).toBe(true)
      const back = page.getByRole('link', { name: `Continue to ${FOREIGN_PAGE}`, exact: true })
      expect(await back.isVisible()).toBe(true)
      expect(await back.getAttribute('href')).toBe(FOREIGN_PAGE)
      // Nothing left to pay.
      expect(await page.locator('form').count()).toBe(0)
      await page.screenshot({ path: screenshotPath('captive-active-240x320-en.png'), fullPage: true })

      // The language link keeps the signed continue URL.
      await page.getByRole('link', { name: '中文', exact: true }).click()
      await page.waitForURL(/[?&]lang=zh-CN\b/)
      await expect.poll(() => page.locator('h1').innerText()).toBe('您的号码状态正常')
      const zhBack = page.getByRole('link', { name: `继续访问 ${FOREIGN_PAGE}`, exact: true })
      expect(await zhBack.getAttribute('href')).toBe(FOREIGN_PAGE)
      await page.screenshot({ path: screenshotPath('captive-active-240x320-zh-CN.png'), fullPage: true })
    })
  })

  it("answers the OS connectivity probe with the portal while suspended and with 204 once active", async () => {
    await gateway.setLineStatus('suspended')
    await withPage(async (page) => {
      const landed = await openForeign(page, PROBE)
      expect(landed.searchParams.get('continue')).toBe(PROBE)
      expect(await page.getByText(SUBSCRIBER.masked).isVisible()).toBe(true)

      await gateway.setLineStatus('active')
      // A 204 is not a page: Chromium keeps the portal and aborts the navigation.
      const probed = page.waitForResponse((r) => r.url() === PROBE)
      await page.goto(PROBE).catch((err: Error) => expect(err.message).toContain('net::ERR_ABORTED'))
      const answer = await probed
      expect(answer.status()).toBe(204)
      expect(answer.request().redirectedFrom()).toBeNull()
    })
  })

  it('does not scroll sideways at 240 px when the caught URL is long', async () => {
    await gateway.setLineStatus('suspended')
    await withPage(async (page) => {
      const long = 'http://example.com/news/2026/11/21/a-rather-long-article-slug?id=0123456789abcdef0123456789abcdef&utm_source=x'
      await openForeign(page, long)
      await gateway.setLineStatus('active')
      await page.reload()
      const back = page.getByRole('link', { name: `Continue to ${long}`, exact: true })
      expect(await back.getAttribute('href')).toBe(long)
      await page.screenshot({ path: screenshotPath('captive-active-long-url-240x320-en.png'), fullPage: true })
      expect((await documentWidths(page)).scrollWidth).toBeLessThanOrEqual(VIEWPORT.width)
    })
  })
})
