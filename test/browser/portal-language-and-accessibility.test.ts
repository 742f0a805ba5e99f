// The recharge-guide page in a real Chromium with JavaScript off: it speaks the browser's language
// (English or Chinese) and switches by a plain link; and the accessibility basics hold in the
// browser's own accessibility tree — labelled inputs, buttons with text, one h1 — with no script
// and no request to any host but the gateway.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium, type LiveGateway, startLiveGateway, SUBSCRIBER } from '../helpers/browser.ts'
import { chromiumPath, peerAvailable } from '../helpers/peers.ts'

const chromium = chromiumPath()
const run = peerAvailable('Chromium', chromium ? undefined : 'no chromium or chromium-browser on PATH or in /usr/bin')

const ENGLISH = {
  htmlLang: 'en',
  title: 'Recharge your line',
  h1: 'Your mobile service is paused',
  arrears: `Line ${SUBSCRIBER.masked} is suspended because the balance is -¥10.00.`,
  serial: 'Card serial number',
  pin: 'Card PIN',
  switchTo: '中文',
}
const CHINESE = {
  htmlLang: 'zh-CN',
  title: '话费充值',
  h1: '您的号码已停机',
  arrears: `号码 ${SUBSCRIBER.masked} 因欠费停机，当前余额 -10.00 元。`,
  serial: '充值卡序列号',
  pin: '充值卡密码',
  switchTo: 'English',
}

/** One node of Chromium's computed accessibility tree (CDP Accessibility.getFullAXTree). */
interface AXNode {
  ignored: boolean
  role?: { value: string }
  name?: { value: string }
  properties?: { name: string; value: { value: unknown } }[]
}

async function accessibilityTree(context: BrowserContext, page: Page): Promise<AXNode[]> {
  const cdp = await context.newCDPSession(page)
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: AXNode[] }
    return nodes.filter((n) => !n.ignored)
  } finally {
    await cdp.detach()
  }
}

/** WCAG 2 contrast ratio of two opaque CSS rgb() colours. */
function contrastRatio(a: string, b: string): number {
  const luminance = (css: string) => {
    const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
    })
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
  }
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

async function expectPageIn(page: Page, expected: typeof ENGLISH): Promise<void> {
  expect(await page.locator('html').getAttribute('lang')).toBe(expected.htmlLang)
  expect(await page.title()).toBe(expected.title)
  await expect.poll(() => page.locator('h1').innerText()).toBe(expected.h1)
  expect(await page.getByText(expected.arrears, { exact: true }).isVisible()).toBe(true)
  expect(await page.getByLabel(expected.serial, { exact: true }).isVisible()).toBe(true)
  expect(await page.getByLabel(expected.pin, { exact: true }).isVisible()).toBe(true)
  expect(await page.getByRole('link', { name: expected.switchTo, exact: true }).isVisible()).toBe(true)
}

describe.runIf(run)('the portal page in a real browser, JavaScript off', () => {
  let gateway: LiveGateway
  let browser: Browser

  beforeAll(async () => {
    gateway = await startLiveGateway()
    browser = await launchChromium(chromium!)
  })

  afterAll(async () => {
    await browser?.close()
    await gateway?.close()
  })

  /** A fresh JavaScript-free context for `locale`, closed after `body`. */
  async function withPage<T>(locale: string, body: (page: Page, context: BrowserContext) => Promise<T>): Promise<T> {
    const context = await browser.newContext({ javaScriptEnabled: false, locale, viewport: { width: 360, height: 640 } })
    try {
      return await body(await context.newPage(), context)
    } finally {
      await context.close()
    }
  }

  describe('language', () => {
    it('is English when the browser asks for English (Accept-Language en-US)', async () => {
      await withPage('en-US', async (page) => {
        const response = await page.goto(`${gateway.origin}/portal`)
        expect(await response?.request().headerValue('accept-language')).toMatch(/^en-US\b/)
        expect(response?.headers()['content-language']).toBe('en')
        await expectPageIn(page, ENGLISH)
      })
    })

    it('is Chinese when the browser asks for Chinese (Accept-Language zh-CN)', async () => {
      await withPage('zh-CN', async (page) => {
        const response = await page.goto(`${gateway.origin}/portal`)
        expect(await response?.request().headerValue('accept-language')).toMatch(/^zh-CN\b/)
        expect(response?.headers()['content-language']).toBe('zh-CN')
        await expectPageIn(page, CHINESE)
      })
    })

    it('switches language by following its link, without JavaScript, and back again', async () => {
      await withPage('en-US', async (page) => {
        await page.goto(`${gateway.origin}/portal`)
        await expectPageIn(page, ENGLISH)

        await page.getByRole('link', { name: ENGLISH.switchTo, exact: true }).click()
        await page.waitForURL(/[?&]lang=zh-CN\b/)
        // The explicit choice wins over the browser's English Accept-Language.
        await expectPageIn(page, CHINESE)

        await page.getByRole('link', { name: CHINESE.switchTo, exact: true }).click()
        await page.waitForURL(/[?&]lang=en\b/)
        await expectPageIn(page, ENGLISH)
      })
    })
  })

  describe('accessibility basics', () => {
    for (const [locale, expected] of [['en-US', ENGLISH], ['zh-CN', CHINESE]] as const) {
      it(`names every visible input, gives every button text and has exactly one h1 (${locale})`, async () => {
        await withPage(locale, async (page, context) => {
          await page.goto(`${gateway.origin}/portal`)

          // Found by their label texts, and they are the voucher form's fields.
          expect(await page.getByLabel(expected.serial, { exact: true }).getAttribute('name')).toBe('serial')
          expect(await page.getByLabel(expected.pin, { exact: true }).getAttribute('name')).toBe('pin')

          const visibleInputs = await page.locator('input:not([type="hidden"]), select, textarea').filter({ visible: true }).count()
          const visibleButtons = page.locator('button').filter({ visible: true })
          expect(visibleInputs).toBeGreaterThanOrEqual(2)

          const tree = await accessibilityTree(context, page)
          const fields = tree.filter((n) => ['textbox', 'searchbox', 'combobox', 'spinbutton', 'checkbox', 'radio', 'listbox'].includes(n.role?.value ?? ''))
          expect(fields).toHaveLength(visibleInputs)
          for (const field of fields) expect(field.name?.value?.trim(), `a ${field.role?.value} without a name`).toBeTruthy()

          const buttons = tree.filter((n) => n.role?.value === 'button')
          expect(buttons).toHaveLength(await visibleButtons.count())
          expect(buttons.length).toBeGreaterThanOrEqual(1)
          for (const button of buttons) expect(button.name?.value?.trim(), 'a button without a name').toBeTruthy()
          for (const text of await visibleButtons.allInnerTexts()) expect(text.trim()).not.toBe('')

          const h1s = tree.filter((n) => n.role?.value === 'heading' && n.properties?.some((p) => p.name === 'level' && p.value.value === 1))
          expect(h1s.map((n) => n.name?.value)).toEqual([expected.h1])
          expect(await page.locator('h1').count()).toBe(1)
        })
      })
    }

    it('has no script element and requests nothing from any host but the gateway', async () => {
      await withPage('en-US', async (page) => {
        const requested: string[] = []
        page.on('request', (request) => requested.push(request.url()))
        await page.goto(`${gateway.origin}/portal`, { waitUntil: 'networkidle' })
        // Follow the language link too: the Chinese page must be just as self-contained.
        await page.getByRole('link', { name: ENGLISH.switchTo, exact: true }).click()
        await page.waitForURL(/[?&]lang=zh-CN\b/)
        await page.waitForLoadState('networkidle')

        expect(await page.locator('script').count()).toBe(0)
        expect(requested.length).toBeGreaterThanOrEqual(2)
        for (const url of requested) expect(new URL(url).origin, url).toBe(gateway.origin)
      })
    })

    it('gives every button at least 4.5:1 text contrast (WCAG 1.4.3)', async () => {
      await withPage('en-US', async (page) => {
        await page.goto(`${gateway.origin}/portal`)
        const colours = await page.evaluate<{ text: string; color: string; background: string }[]>(
          `[...document.querySelectorAll('button, .btn')].map((b) => ({ text: b.innerText, color: getComputedStyle(b).color, background: getComputedStyle(b).backgroundColor }))`,
        )
        expect(colours.length).toBeGreaterThanOrEqual(4)
        for (const { text, color, background } of colours) {
          expect(contrastRatio(color, background), `${JSON.stringify(text)}: ${color} on ${background}`).toBeGreaterThanOrEqual(4.5)
        }
      })
    })

    it('marks the language link text with its own language, for screen readers (WCAG 3.1.2)', async () => {
      await withPage('en-US', async (page) => {
        await page.goto(`${gateway.origin}/portal`)
        const link = page.getByRole('link', { name: ENGLISH.switchTo, exact: true })
        // The link itself or its paragraph must say so; the page's own lang is "en".
        const declared = (await link.getAttribute('lang')) ?? (await link.locator('xpath=..').getAttribute('lang'))
        expect(declared).toBe('zh-CN')
      })
    })
  })
})
