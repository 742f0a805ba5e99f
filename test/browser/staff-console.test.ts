// The staff console in a real Chromium with JavaScript off, against the gateway listening on
// loopback with FreeRADIUS as the NAS and a job worker running: a failed sign-in, a sign-in, a
// search by the last digits of a number, the attempt's timeline down to the RADIUS packets, and a
// retry of the lift that the worker carries out (a second CoA on the timeline) and that appears in
// the audit log under the support agent's name.
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attemptEvents } from '../../src/db/attempts.ts'
import type { RechargeAttempt } from '../../src/db/schema.ts'
import { createLiftJob } from '../../src/jobs/lift-job.ts'
import { type JobWorker, startJobWorker } from '../../src/jobs/worker.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { launchChromium, screenshotPath } from '../helpers/browser.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { chromiumPath, freeradiusPath, peerAvailable } from '../helpers/peers.ts'
import { waitFor } from '../helpers/process.ts'
import { createStaffUser, TEST_PASSWORD } from '../helpers/staff.ts'
import { type NasPeer, seedAttempt, startNasPeer } from '../helpers/support.ts'

const chromium = chromiumPath()
const run =
  peerAvailable('Chromium', chromium ? undefined : 'no chromium or chromium-browser on PATH or in /usr/bin') &&
  peerAvailable('FreeRADIUS server', freeradiusPath() ? undefined : 'freeradius not installed (apt-get install freeradius)')

describe.skipIf(!run)('staff console in Chromium (JavaScript off)', () => {
  let t: TestDatabase
  let nas: NasPeer
  let test: TestApp
  let worker: JobWorker
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let origin: string
  let attempt: RechargeAttempt

  beforeAll(async () => {
    t = await createTestDatabase()
    const db = t.handle.db
    nas = await startNasPeer(db, 'browser-nas', '10.9.0.0/24')
    attempt = await seedAttempt(db, { msisdn: '8613812344321', address: '10.9.0.21', nasId: nas.nasId, acctSessionId: 'acct-4321', serial: 'SER-4321', until: 'lifted', network: nas.network })
    await createStaffUser(db, 'sam.support', 'support')
    await createStaffUser(db, 'ada.admin', 'admin')
    worker = startJobWorker({ db, log: createLogger('silent'), handlers: { lift: createLiftJob({ db, network: nas.network }) }, pollMs: 100, backoffBaseMs: 50, backoffMaxMs: 200 })
    test = await buildTestApp(t.handle, {}, { network: nas.network })
    await test.app.listen({ host: '127.0.0.1', port: 0 })
    origin = `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`
    browser = await launchChromium(chromium!)
    context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
  }, 60_000)
  afterAll(async () => {
    await context?.close()
    await browser?.close()
    await worker?.stop(1000)
    await test?.app.close()
    await nas?.close()
    await t.destroy()
  })

  async function signIn(username: string, password: string) {
    await page.goto(`${origin}/console/attempts`)
    await page.getByLabel('Username').fill(username)
    await page.getByLabel('Password').fill(password)
    return Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]).then(([response]) => response)
  }

  it('turns a wrong password away with a plain message and no session', async () => {
    const response = await signIn('sam.support', 'not the password')
    expect(response?.status()).toBe(401)
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Wrong username or password.')
    expect(page.url()).toBe(`${origin}/console/login`)
    expect(await page.getByRole('navigation', { name: 'Console' }).count()).toBe(0)
  })

  it('signs in and lands on the page that was asked for, with the menu of the role', async () => {
    const response = await signIn('sam.support', TEST_PASSWORD)
    expect(response?.status()).toBe(200)
    expect(page.url()).toBe(`${origin}/console/attempts`)
    const menu = await page.getByRole('navigation', { name: 'Console' }).getByRole('link').allTextContents()
    expect(menu).toEqual(['Attempts', 'Lines'])
    const cookies = await context.cookies()
    expect(cookies.find((c) => c.name === 'rg-staff')).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
  })

  it('finds the attempt by the last four digits of the number', async () => {
    await page.getByLabel('Number (whole or last digits)').fill('4321')
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Search' }).click()])
    expect(page.url()).toContain('msisdn=4321')
    const row = page.getByRole('row').filter({ hasText: attempt.reference })
    await expect(row.textContent()).resolves.toContain('138****4321')
    await expect(row.textContent()).resolves.toContain('lifted')
  })

  it("shows the timeline with the CoA exchange decoded and in hex, the number masked", async () => {
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: attempt.reference }).click()])
    expect(page.url()).toBe(`${origin}/console/attempts/${attempt.id}`)
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(`Attempt ${attempt.reference} (lifted)`)
    const body = (await page.textContent('main'))!
    expect(body).toMatch(/CoA-Request to 127\.0\.0\.1:\d+: ACK after 1 send\(s\)/)
    expect(body).toMatch(/0000 {2}2b /)
    expect(body).toContain('86138****4321')
    expect(body).not.toContain('8613812344321')
    await page.screenshot({ path: screenshotPath('console-timeline.png'), fullPage: true })
  })

  it('retries the lift with a reason: the worker sends a second CoA, and the audit log names the agent', async () => {
    await page.getByLabel('Reason').first().fill('caller still cannot browse after the recharge')
    const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Retry lift' }).click()])
    expect(response?.status()).toBe(200)
    await expect(page.getByRole('status').textContent()).resolves.toBe('A new lift was queued.')
    const radiusExchanges = async () => (await attemptEvents(t.handle.db, attempt.id)).filter((e) => e.kind === 'radius').length
    await waitFor(async () => (await radiusExchanges()) === 2, 10_000, 'the retried lift to reach FreeRADIUS')
    await page.reload()
    expect(await page.getByText(/CoA-Request to 127\.0\.0\.1:\d+: ACK/).count()).toBe(2)
    expect(await page.getByText('support-retry-lift').count()).toBe(1)

    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign out' }).click()])
    expect(page.url()).toBe(`${origin}/console/login`)
    await signIn('ada.admin', TEST_PASSWORD)
    await page.goto(`${origin}/console/audit?action=attempt.`)
    const row = page.getByRole('row').filter({ hasText: 'attempt.retry-lift' })
    await expect(row.textContent()).resolves.toContain('sam.support')
    await expect(row.textContent()).resolves.toContain('caller still cannot browse after the recharge')
  })
})
