// The funnel and CoA metrics moved by the real thing: a captive redirect, portal views, voucher
// recharges through the app, credit, lift jobs sending CoA-Requests to FreeRADIUS playing the NAS
// (ACK, and NAK 503), confirmation by accounting, a wrong PIN; then /metrics is read.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRadiusNetwork } from '../../src/adapters/network/radius-network.ts'
import { hashVoucherPin } from '../../src/adapters/payment/voucher-pin.ts'
import { findAttempt } from '../../src/db/attempts.ts'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { refreshNasDirectory } from '../../src/identification/session-upkeep.ts'
import { createLiftJob } from '../../src/jobs/lift-job.ts'
import { startConfirmSweep } from '../../src/jobs/confirm-sweep.ts'
import { type JobWorker, startJobWorker } from '../../src/jobs/worker.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createCoaMetrics } from '../../src/metrics/coa-metrics.ts'
import { createDynamicAuthorizationClient, type DynamicAuthorizationClient } from '../../src/radius/dynamic-authorization-client.ts'
import { createNasDirectory } from '../../src/radius/nas-directory.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { sessionRecord } from '../helpers/fixtures.ts'
import { freeradiusPath, peerAvailable } from '../helpers/peers.ts'
import { waitFor } from '../helpers/process.ts'
import { type FreeRadius, startFreeRadius } from '../radius/helpers/freeradius.ts'
import { sample, series } from './scrape.ts'

const binary = freeradiusPath()
const available = peerAvailable('FreeRADIUS server', binary ? undefined : 'freeradius not installed (apt-get install freeradius)')
const SECRET = 'funnel-coa-secret'
const FAST = { initialMs: 100, maxIntervalMs: 800, maxSends: 5, deadlineMs: 3000 }

describe.skipIf(!available)('recharge funnel and CoA metrics', { timeout: 60_000 }, () => {
  let t: TestDatabase
  let web: TestApp
  let radius: FreeRadius
  let client: DynamicAuthorizationClient
  let stopSweep: (() => Promise<void>) | undefined
  let worker: JobWorker
  let nasId: number
  let next = 20
  const db = () => t.handle.db
  const scrape = async () => (await web.app.inject({ url: '/metrics' })).body

  beforeAll(async () => {
    t = await createTestDatabase()
    radius = await startFreeRadius(binary!, SECRET)
    const nas = await db()
      .insertInto('nasClients')
      .values({ name: 'bras-east', address: '10.7.0.0/24', secret: SECRET, realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: radius.port, liftProfile: 'coa' })
      .returning('id')
      .executeTakeFirstOrThrow()
    nasId = nas.id
    web = await buildTestApp(t.handle, { REALMS_BY_LISTENER: '' })
    const batch = await db().insertInto('voucherBatches').values({ name: 'funnel-50', valueMinor: 5000, currency: 'CNY' }).returning('id').executeTakeFirstOrThrow()
    await db()
      .insertInto('vouchers')
      .values(['F-0001', 'F-0002', 'F-0003'].map((serial) => ({ serial, batchId: batch.id, pinHash: hashVoucherPin(web.keys.voucherPin, serial, '424242424242'), status: 'unused' as const })))
      .execute()
    const directory = createNasDirectory()
    await refreshNasDirectory(db(), directory)
    client = await createDynamicAuthorizationClient({ bindHost: '127.0.0.1', schedule: FAST })
    // As main.ts wires it: the network adapter counts on the app's registry.
    const network = createRadiusNetwork({ directory, client, metrics: createCoaMetrics(web.metrics.registry) })
    worker = startJobWorker({
      db: db(),
      log: createLogger('silent'),
      handlers: { lift: createLiftJob({ db: db(), network }) },
      pollMs: 100,
      backoffBaseMs: 50,
      backoffMaxMs: 200,
    })
    // As main.ts: lifts are confirmed by the sweep (every 100 ms here).
    stopSweep = startConfirmSweep({ db: db(), log: createLogger('silent'), everyMs: 100 })
  })
  afterAll(async () => {
    await worker?.stop(1000)
    await stopSweep?.()
    await client?.close()
    await radius?.stop()
    await web?.app.close()
    await t?.destroy()
  })

  async function suspendedLine(acctSessionId: string) {
    const n = next++
    const line = { msisdn: `8613700000${n}`, address: `10.7.0.${n}` }
    await db().insertInto('lines').values({ msisdn: line.msisdn, balanceMinor: -1000, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 }).execute()
    await createSessionRecorder(db(), { touchAfterMs: 0 }).record(sessionRecord('start', { nasId, realm: 'default', acctSessionId, msisdn: line.msisdn, framedIp: line.address, eventTime: new Date() }))
    return line
  }

  async function recharge(app: FastifyInstance, address: string, serial: string, pin: string): Promise<string> {
    const page = await app.inject({ url: '/portal', remoteAddress: address })
    const ft = /name="ft" value="([^"]+)"/.exec(page.body)![1]!
    const res = await app.inject({
      method: 'POST',
      url: '/recharge/voucher',
      remoteAddress: address,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ft, serial, pin, lang: 'en' }).toString(),
    })
    expect(res.statusCode).toBe(303)
    return /\/recharge\/([\w-]{22})/.exec(res.headers.location as string)![1]!
  }

  async function waitForState(id: string, state: string): Promise<void> {
    await waitFor(async () => (await findAttempt(db(), id))!.state === state, 20_000, `attempt ${state}`)
  }

  it('counts a redirect, portal views, and a voucher recharge through paid, credited, lifted and confirmed with its CoA-ACK', async () => {
    const before = await scrape()
    const line = await suspendedLine('funnel-ok')
    const redirect = await web.app.inject({ url: '/generate_anything', headers: { host: 'example.com', accept: 'text/html' }, remoteAddress: line.address })
    expect(redirect.statusCode).toBe(302)
    const stranger = await web.app.inject({ url: '/portal', remoteAddress: '192.0.2.77' })
    expect(stranger.statusCode).toBe(200)
    const id = await recharge(web.app, line.address, 'F-0001', '424242424242')
    await waitForState(id, 'lifted')
    // Accounting after the lift confirms it.
    await createSessionRecorder(db(), { touchAfterMs: 0 }).record(sessionRecord('interim', { nasId, realm: 'default', acctSessionId: 'funnel-ok', msisdn: line.msisdn, framedIp: line.address, eventTime: new Date() }))
    await waitForState(id, 'confirmed')

    const after = await scrape()
    const moved = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels)
    expect(moved('gateway_walled_garden_requests_total', { answer: 'redirect' })).toBe(1)
    expect(moved('gateway_portal_views_total', { identification: 'identified' })).toBe(1)
    expect(moved('gateway_portal_views_total', { identification: 'unidentified' })).toBe(1)
    expect(moved('gateway_recharge_attempts_total', { method: 'voucher' })).toBe(1)
    for (const state of ['paid', 'credited', 'lifting', 'lifted', 'confirmed']) expect(moved('gateway_recharge_transitions_total', { method: 'voucher', state }), state).toBe(1)
    expect(moved('gateway_recharge_transitions_total', { method: 'voucher', state: 'failed' })).toBe(0)
    expect(moved('gateway_recharge_attempts_total', { method: 'card' })).toBe(0)
    const acks = series(after, 'gateway_coa_responses_total').filter((s) => s.labels.outcome === 'ack')
    expect(acks).toEqual([{ labels: { nas: 'bras-east', kind: 'coa', outcome: 'ack', error_cause: '' }, value: 1 }])
  })

  it('counts a NAK by its Error-Cause and NAS, and a wrong PIN as declined', async () => {
    const before = await scrape()
    const gone = await suspendedLine('gone')
    const id = await recharge(web.app, gone.address, 'F-0002', '424242424242')
    await waitForState(id, 'lifted')
    const wrong = await suspendedLine('funnel-wrong-pin')
    const declinedId = await recharge(web.app, wrong.address, 'F-0003', '000000000000')
    await waitForState(declinedId, 'declined')

    const after = await scrape()
    const moved = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels)
    expect(moved('gateway_coa_responses_total', { nas: 'bras-east', kind: 'coa', outcome: 'nak', error_cause: '503' })).toBe(1)
    expect(moved('gateway_recharge_attempts_total', { method: 'voucher' })).toBe(2)
    expect(moved('gateway_recharge_transitions_total', { method: 'voucher', state: 'declined' })).toBe(1)
    expect(moved('gateway_recharge_transitions_total', { method: 'voucher', state: 'paid' })).toBe(1)
    expect(moved('gateway_recharge_transitions_total', { method: 'voucher', state: 'lifted' })).toBe(1)
  })
})
