// The subscriber's whole loop in Chromium with JavaScript off: the recharge-guide page → a
// scratch card (or the sandbox provider's hosted card page) → the status page refreshing itself
// (meta refresh) → "Service restored", with the lift sent as an RFC 5176 CoA to FreeRADIUS
// playing the NAS.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRadiusNetwork } from '../../src/adapters/network/radius-network.ts'
import { createHostedPsp } from '../../src/adapters/payment/hosted-psp.ts'
import { hashVoucherPin } from '../../src/adapters/payment/voucher-pin.ts'
import { SANDBOX_MERCHANT } from '../../src/config/psp-config.ts'
import { attemptEvents } from '../../src/db/attempts.ts'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { refreshNasDirectory } from '../../src/identification/session-upkeep.ts'
import { createLiftJob } from '../../src/jobs/lift-job.ts'
import { createPspReconcileJob } from '../../src/jobs/psp-reconcile-job.ts'
import { type JobWorker, startJobWorker } from '../../src/jobs/worker.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createDynamicAuthorizationClient, type DynamicAuthorizationClient } from '../../src/radius/dynamic-authorization-client.ts'
import { createNasDirectory } from '../../src/radius/nas-directory.ts'
import { type SandboxPsp, startSandboxPsp } from '../../src/sandbox/sandbox-psp.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { launchChromium, screenshotPath } from '../helpers/browser.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { chromiumPath, freeradiusPath, peerAvailable } from '../helpers/peers.ts'
import { freePort } from '../helpers/process.ts'
import { type FreeRadius, startFreeRadius } from '../radius/helpers/freeradius.ts'

const chromium = chromiumPath()
const freeradius = freeradiusPath()
const haveChromium = peerAvailable('Chromium', chromium ? undefined : 'chromium not installed (apt-get install chromium)')
const haveRadius = peerAvailable('FreeRADIUS server', freeradius ? undefined : 'freeradius not installed (apt-get install freeradius)')

describe.skipIf(!haveChromium || !haveRadius)('a suspended subscriber recharges in Chromium with JavaScript off', { timeout: 120_000 }, () => {
  let t: TestDatabase
  let radius: FreeRadius
  let sandbox: SandboxPsp
  let web: TestApp
  let client: DynamicAuthorizationClient
  let worker: JobWorker
  let browser: Browser
  let origin: string
  let nasId: number

  beforeAll(async () => {
    t = await createTestDatabase()
    const db = t.handle.db
    radius = await startFreeRadius(freeradius!, 'testing123')
    sandbox = await startSandboxPsp(SANDBOX_MERCHANT)
    const psp = createHostedPsp({ url: sandbox.url, ...SANDBOX_MERCHANT, timeoutMs: 5000 })
    const port = await freePort()
    origin = `http://127.0.0.1:${port}`
    web = await buildTestApp(t.handle, { PORTAL_URL: origin, RECHARGE_AMOUNTS: '20,50' }, { psp })
    await web.app.listen({ host: '127.0.0.1', port })
    nasId = (
      await db
        .insertInto('nasClients')
        .values({ name: 'pgw', address: '127.0.0.0/8', secret: 'testing123', realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: radius.port, liftProfile: 'coa' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id
    const batch = await db.insertInto('voucherBatches').values({ name: 'browser-50', valueMinor: 5000, currency: 'CNY' }).returning('id').executeTakeFirstOrThrow()
    await db.insertInto('vouchers').values({ serial: 'WEB-0001', batchId: batch.id, pinHash: hashVoucherPin(web.keys.voucherPin, 'WEB-0001', '424242424242'), status: 'unused' }).execute()
    const directory = createNasDirectory()
    await refreshNasDirectory(db, directory)
    client = await createDynamicAuthorizationClient({ bindHost: '127.0.0.1' })
    worker = startJobWorker({
      db,
      log: createLogger('silent'),
      handlers: {
        lift: createLiftJob({ db, network: createRadiusNetwork({ directory, client }) }),
        'psp-reconcile': createPspReconcileJob({ db, psp, creditMode: 'built-in' }),
      },
      pollMs: 200,
    })
    browser = await launchChromium(chromium!)
  })
  afterAll(async () => {
    await browser?.close()
    await worker?.stop(1000)
    await client?.close()
    await web?.app.close()
    await sandbox?.close()
    await radius?.stop()
    await t.destroy()
  })

  /** The browser (from 127.0.0.1) is `msisdn`'s line: a suspended line and its accounting Start. */
  async function becomeLine(msisdn: string, session: string): Promise<void> {
    await t.handle.db.insertInto('lines').values({ msisdn, balanceMinor: -1000, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 }).execute()
    await createSessionRecorder(t.handle.db, { touchAfterMs: 0 }).record({
      kind: 'start', nasId, realm: 'default', acctSessionId: session, msisdn, imsi: null, framedIp: '127.0.0.1',
      framedIpv6Prefix: null, delegatedIpv6Prefix: null, eventTime: new Date(), stopReason: null,
    })
  }

  async function lastAttemptId(msisdn: string): Promise<string> {
    const row = await t.handle.db.selectFrom('rechargeAttempts').select('id').where('msisdn', '=', msisdn).orderBy('createdAt', 'desc').executeTakeFirstOrThrow()
    return row.id
  }

  it('with a scratch card: portal → voucher form → status page → "Service restored", lifted by a CoA FreeRADIUS ACKed', async () => {
    await becomeLine('8613800000081', 'web-81')
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 240, height: 320 }, locale: 'en-US' })
    const page = await context.newPage()
    await page.goto(`${origin}/portal`)
    await expect(page.getByText('138****0081')).toBeDefined()
    expect(await page.textContent('body')).toContain('138****0081')
    await page.getByLabel('Card serial number').fill('WEB-0001')
    await page.getByLabel('Card PIN').fill('424242424242')
    await page.getByRole('button', { name: 'Recharge with card' }).click()
    expect(page.url()).toMatch(new RegExp(`^${origin}/recharge/[\\w-]{22}\\?lang=en$`))
    // The page refreshes itself (meta refresh, no script) until the network has been told.
    await page.getByText('Service restored').waitFor({ timeout: 30_000 })
    await page.screenshot({ path: screenshotPath('recharge-voucher-restored-240x320-en.png'), fullPage: true })
    const kinds = (await attemptEvents(t.handle.db, await lastAttemptId('8613800000081'))).map((e) => e.kind)
    expect(kinds).toEqual(expect.arrayContaining(['paid', 'credited', 'lifting', 'radius', 'lifted']))
    await context.close()
  })

  it('with a card on the sandbox provider\'s hosted page: the form leaves for the provider and comes back to "Service restored"', async () => {
    await becomeLine('8613800000082', 'web-82')
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 360, height: 640 }, locale: 'en-US' })
    const page = await context.newPage()
    await page.goto(`${origin}/portal`)
    expect(await page.textContent('body')).toContain('138****0082')
    await page.getByRole('button', { name: /Pay ¥50\.00/ }).click()
    // The CSP of that answer allows exactly the provider's origin as a form target.
    expect(page.url().startsWith(`${sandbox.url}/pay/`)).toBe(true)
    await page.getByRole('button', { name: /Pay 50\.00 CNY/ }).click()
    expect(page.url()).toMatch(new RegExp(`^${origin}/recharge/[\\w-]{22}\\?lang=en$`))
    await page.getByText('Service restored').waitFor({ timeout: 30_000 })
    await page.screenshot({ path: screenshotPath('recharge-card-restored-360x640-en.png'), fullPage: true })
    const credits = await t.handle.db.selectFrom('ledgerEntries').select('amountMinor').where('msisdn', '=', '8613800000082').where('kind', '=', 'credit').execute()
    expect(credits).toEqual([{ amountMinor: 5000 }])
    await context.close()
  })
})
