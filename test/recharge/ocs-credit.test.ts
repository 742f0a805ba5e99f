// Crediting through an OCS over HTTP: the credit job never credits twice, even when an answer is
// lost (timeout after the OCS applied it), and a refusal is flagged for support.
import type { HmacKey } from '../../src/config/keys.ts'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpOcs } from '../../src/adapters/billing/http-ocs.ts'
import { hashVoucherPin } from '../../src/adapters/payment/voucher-pin.ts'
import { attemptEvents, findAttempt } from '../../src/db/attempts.ts'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { createCreditJob } from '../../src/jobs/credit-job.ts'
import { createLiftJob } from '../../src/jobs/lift-job.ts'
import { type JobWorker, startJobWorker } from '../../src/jobs/worker.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createRadiusNetwork } from '../../src/adapters/network/radius-network.ts'
import { refreshNasDirectory } from '../../src/identification/session-upkeep.ts'
import { createDynamicAuthorizationClient, type DynamicAuthorizationClient } from '../../src/radius/dynamic-authorization-client.ts'
import { createNasDirectory } from '../../src/radius/nas-directory.ts'
import { buildTestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { type FakeOcs, startFakeOcs } from '../helpers/fake-ocs.ts'
import { waitFor } from '../helpers/process.ts'

describe('recharge with the OCS as billing', () => {
  let t: TestDatabase
  let ocs: FakeOcs
  let app: FastifyInstance
  let worker: JobWorker
  let n = 20
  let pinKey: HmacKey
  let daClient: DynamicAuthorizationClient

  beforeAll(async () => {
    t = await createTestDatabase()
    ocs = await startFakeOcs(1500)
    const env = { BILLING: 'ocs', OCS_URL: ocs.url, OCS_TOKEN: ocs.token, OCS_TIMEOUT_MS: '500' }
    const web = await buildTestApp(t.handle, env)
    app = web.app
    pinKey = web.keys.voucherPin
    const client = createHttpOcs({ url: ocs.url, token: ocs.token, timeoutMs: 500, paths: { account: '/accounts/{msisdn}', credit: '/accounts/{msisdn}/credits', lookup: '/credits/{key}' } })
    await t.handle.db.insertInto('nasClients').values({ name: 'pgw', address: '10.6.0.0/16', secret: 's3cret', realm: 'default', requireMessageAuthenticator: false, coaHost: null, coaPort: 3799, liftProfile: 'none' }).execute()
    // The NAS's lift profile is "none" (the OCS restores service itself): the real network adapter sends nothing.
    const directory = createNasDirectory()
    await refreshNasDirectory(t.handle.db, directory)
    daClient = await createDynamicAuthorizationClient({ bindHost: '127.0.0.1' })
    const network = createRadiusNetwork({ directory, client: daClient })
    worker = startJobWorker({
      db: t.handle.db,
      log: createLogger('silent'),
      handlers: { credit: createCreditJob({ db: t.handle.db, ocs: client }), lift: createLiftJob({ db: t.handle.db, network }) },
      pollMs: 100,
      backoffBaseMs: 100,
      backoffMaxMs: 300,
    })
    const batch = await t.handle.db.insertInto('voucherBatches').values({ name: 'ocs-50', valueMinor: 5000, currency: 'CNY' }).returning('id').executeTakeFirstOrThrow()
    await t.handle.db.insertInto('vouchers').values(Array.from({ length: 10 }, (_, i) => ({ serial: `OCS-${i}`, batchId: batch.id, pinHash: hashVoucherPin(pinKey, `OCS-${i}`, `1234${i}`), status: 'unused' as const }))).execute()
  })
  afterAll(async () => {
    await worker?.stop(1000)
    await daClient?.close()
    await app?.close()
    await ocs?.close()
    await t.destroy()
  })

  async function suspended(): Promise<{ msisdn: string; address: string }> {
    n++
    const msisdn = `86136000000${n}`
    const address = `10.6.0.${n}`
    ocs.accounts.set(msisdn, { balanceMinor: -1000, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 })
    const nas = await t.handle.db.selectFrom('nasClients').select('id').executeTakeFirstOrThrow()
    await createSessionRecorder(t.handle.db, { touchAfterMs: 0 }).record({ kind: 'start', nasId: nas.id, realm: 'default', acctSessionId: `ocs-${n}`, msisdn, imsi: null, framedIp: address, framedIpv6Prefix: null, delegatedIpv6Prefix: null, eventTime: new Date(), stopReason: null })
    return { msisdn, address }
  }

  async function payVoucher(address: string, serial: string, pin: string): Promise<string> {
    const page = await app.inject({ url: '/portal', remoteAddress: address })
    expect(page.body).toContain('-10.00') // the portal reads the balance from the OCS
    const ft = /name="ft" value="([^"]+)"/.exec(page.body)![1]!
    const res = await app.inject({ method: 'POST', url: '/recharge/voucher', remoteAddress: address, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ ft, serial, pin, lang: 'en' }).toString() })
    expect(res.statusCode).toBe(303)
    return /\/recharge\/([\w-]{22})/.exec(res.headers.location as string)![1]!
  }

  async function settled(id: string, states: string[]) {
    await waitFor(async () => states.includes((await findAttempt(t.handle.db, id))!.state), 20_000, `attempt ${states.join('/')}`)
    return (await findAttempt(t.handle.db, id))!
  }

  it('credits at the OCS once with the attempt as idempotency key, then lifts', async () => {
    const line = await suspended()
    const id = await payVoucher(line.address, 'OCS-0', '12340')
    await settled(id, ['lifted', 'confirmed'])
    expect([...ocs.credits.entries()].filter(([, c]) => c.msisdn === line.msisdn)).toEqual([[`attempt:${id}`, expect.objectContaining({ amountMinor: 5000 })]])
    expect(ocs.accounts.get(line.msisdn)).toMatchObject({ balanceMinor: 4000, status: 'active' })
    const events = await attemptEvents(t.handle.db, id)
    expect(events.find((e) => e.kind === 'lifted')?.detail).toMatchObject({ how: 'none' })
  })

  it('after a lost answer (the OCS applied the credit, the gateway timed out) looks the key up instead of crediting again', async () => {
    const line = await suspended()
    const before = ocs.creditRequests()
    ocs.plan('late', 1)
    const id = await payVoucher(line.address, 'OCS-1', '12341')
    const attempt = await settled(id, ['lifted', 'confirmed'])
    expect(attempt.amountMinor).toBe(5000)
    expect(ocs.creditRequests() - before).toBe(1)
    expect(ocs.accounts.get(line.msisdn)!.balanceMinor).toBe(4000)
    const kinds = (await attemptEvents(t.handle.db, id)).map((e) => e.kind)
    expect(kinds).toContain('ocs-credit-unknown')
    expect(kinds).toContain('ocs-lookup')
  })

  it('after a 500 (not applied) credits on the retry, once', async () => {
    const line = await suspended()
    ocs.plan('fail', 2)
    const id = await payVoucher(line.address, 'OCS-2', '12342')
    await settled(id, ['lifted', 'confirmed'])
    expect(ocs.accounts.get(line.msisdn)!.balanceMinor).toBe(4000)
    expect([...ocs.credits.values()].filter((c) => c.msisdn === line.msisdn)).toHaveLength(1)
  })

  it('flags the attempt for support when the OCS refuses the credit', async () => {
    const line = await suspended()
    ocs.plan('reject', 1)
    const id = await payVoucher(line.address, 'OCS-3', '12343')
    const attempt = await settled(id, ['failed'])
    expect(attempt.needsSupport).toBe(true)
    expect(attempt.supportReason).toMatch(/OCS refused/)
    expect(ocs.accounts.get(line.msisdn)!.balanceMinor).toBe(-1000)
  })
})
