// The operator's side of the console in a real Chromium with JavaScript off: sign in as an
// operator, change a setting (the hotline) with a reason, see the portal use it on the next page
// load, and find the change — who, before/after, reason — in the audit log.
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumPath, peerAvailable } from '../helpers/peers.ts'
import { type LiveGateway, launchChromium, screenshotPath, startLiveGateway } from '../helpers/browser.ts'
import { createStaffUser, TEST_PASSWORD } from '../helpers/staff.ts'

const chromium = chromiumPath()
const run = peerAvailable('Chromium', chromium ? undefined : 'no chromium or chromium-browser on PATH or in /usr/bin')

describe.skipIf(!run)('operator changes a setting in Chromium (JavaScript off)', () => {
  let gateway: LiveGateway
  let browser: Browser
  let context: BrowserContext
  let page: Page

  beforeAll(async () => {
    gateway = await startLiveGateway()
    await createStaffUser(gateway.database.handle.db, 'olga.ops', 'operator')
    browser = await launchChromium(chromium!)
    context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
  }, 60_000)
  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await gateway?.close()
  })

  it('signs in and saves a new hotline with a reason', async () => {
    await page.goto(`${gateway.origin}/console/settings`)
    await page.getByLabel('Username').fill('olga.ops')
    await page.getByLabel('Password').fill(TEST_PASSWORD)
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()])
    expect(page.url()).toBe(`${gateway.origin}/console/settings`)
    await page.getByLabel('Hotline').fill('95599')
    await page.getByLabel('Reason (for the audit log)').fill('hotline moved to the new call centre')
    const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save settings' }).click()])
    expect(response?.status()).toBe(200)
    await expect(page.getByRole('status').textContent()).resolves.toContain('Settings saved')
    await expect(page.getByLabel('Hotline').inputValue()).resolves.toBe('95599')
    await page.screenshot({ path: screenshotPath('operator-settings-saved.png'), fullPage: true })
  })

  it('shows the new hotline on the portal at once', async () => {
    const portal = await context.newPage()
    await portal.goto(`${gateway.origin}/portal?lang=en`)
    await expect(portal.getByText('Call 95599').count()).resolves.toBe(1)
    await portal.close()
  })

  it('finds the change in the audit log with who, before/after and the reason', async () => {
    await page.goto(`${gateway.origin}/console/audit?action=settings.`)
    const row = page.getByRole('row').filter({ hasText: 'settings.update' })
    await expect(row.count()).resolves.toBe(1)
    const text = (await row.textContent()) ?? ''
    expect(text).toContain('olga.ops')
    expect(text).toContain('hotline moved to the new call centre')
    expect(text).toContain('{"hotline":null}')
    expect(text).toContain('{"hotline":"95599"}')
    await page.screenshot({ path: screenshotPath('operator-settings-audit.png'), fullPage: true })
  })
})
