// The whole voucher loop on real peers: portal form → voucher redeemed and credited once → lift
// job → RFC 5176 CoA to FreeRADIUS playing the NAS → lifted, with every RADIUS exchange on the
// attempt's timeline. FreeRADIUS answers ACK, NAK 503 (session "gone") or NAK 506 ("busy"); a
// silent UDP socket plays the NAS that never answers.
import { createSocket, type Socket } from 'node:dgram'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashVoucherPin } from '../../src/adapters/payment/voucher-pin.ts'
import { createRadiusNetwork } from '../../src/adapters/network/radius-network.ts'
import { attemptEvents, findAttempt } from '../../src/db/attempts.ts'
import { refreshNasDirectory } from '../../src/identification/session-upkeep.ts'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { createLiftJob } from '../../src/jobs/lift-job.ts'
import { startConfirmSweep } from '../../src/jobs/confirm-sweep.ts'
import { type JobWorker, startJobWorker } from '../../src/jobs/worker.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createDynamicAuthorizationClient, type DynamicAuthorizationClient } from '../../src/radius/dynamic-authorization-client.ts'
import { createNasDirectory } from '../../src/radius/nas-directory.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { freeradiusPath, peerAvailable } from '../helpers/peers.ts'
import { waitFor } from '../helpers/process.ts'
import { type FreeRadius, startFreeRadius } from '../radius/helpers/freeradius.ts'

const binary = freeradiusPath()
const available = peerAvailable('FreeRADIUS server', binary ? undefined : 'freeradius not installed (apt-get install freeradius)')
const SECRET = 'coa-secret'
// RFC 5080's shape (double until the cap, at most 5 sends, a deadline), scaled down 20× for the test.
const FAST = { initialMs: 100, maxIntervalMs: 800, maxSends: 5, deadlineMs: 3000 }

describe.skipIf(!available)('voucher recharge → credit → CoA lift, against FreeRADIUS as the NAS', () => {
  let t: TestDatabase
  let web: TestApp
  let radius: FreeRadius
  let silent: Socket
  let silentPackets: Buffer[] = []
  let client: DynamicAuthorizationClient
  let stopSweep: (() => Promise<void>) | undefined
  let worker: JobWorker
  let nextAddress = 10
  const db = () => t.handle.db

  beforeAll(async () => {
    t = await createTestDatabase()
    radius = await startFreeRadius(binary!, SECRET)
    silent = createSocket('udp4')
    silent.on('message', (m) => silentPackets.push(m))
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()))
    const nas = await db()
      .insertInto('nasClients')
      .values([
        { name: 'freeradius-nas', address: '10.1.0.0/24', secret: SECRET, realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: radius.port, liftProfile: 'coa', coaAttributes: JSON.stringify([{ name: 'Filter-Id', value: 'internet' }]) },
        { name: 'silent-nas', address: '10.2.0.0/24', secret: SECRET, realm: 'silent', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: silent.address().port, liftProfile: 'coa' },
      ])
      .returning(['id', 'name'])
      .execute()
    web = await buildTestApp(t.handle, { REALMS_BY_LISTENER: '' })
    const batch = await db().insertInto('voucherBatches').values({ name: 'test-50', valueMinor: 5000, currency: 'CNY' }).returning('id').executeTakeFirstOrThrow()
    await db()
      .insertInto('vouchers')
      .values(Array.from({ length: 20 }, (_, i) => ({ serial: `T-${1000 + i}`, batchId: batch.id, pinHash: hashVoucherPin(web.keys.voucherPin, `T-${1000 + i}`, `9999${1000 + i}`), status: 'unused' as const })))
      .execute()
    const directory = createNasDirectory()
    await refreshNasDirectory(db(), directory)
    client = await createDynamicAuthorizationClient({ bindHost: '127.0.0.1', schedule: FAST })
    worker = startJobWorker({
      db: db(),
      log: createLogger('silent'),
      handlers: { lift: createLiftJob({ db: db(), network: createRadiusNetwork({ directory, client }) }) },
      pollMs: 100,
      backoffBaseMs: 50,
      backoffMaxMs: 200,
    })
    // As main.ts: lifts are confirmed by the sweep (every 100 ms here).
    stopSweep = startConfirmSweep({ db: db(), log: createLogger('silent'), everyMs: 100 })
    ;(globalThis as { nasIds?: Record<string, number> }).nasIds = Object.fromEntries(nas.map((n) => [n.name, n.id]))
  })
  afterAll(async () => {
    await worker?.stop(1000)
    await stopSweep?.()
    await client?.close()
    silent?.close()
    await radius?.stop()
    await web?.app.close()
    await t.destroy()
  })

  /** A suspended line with an active session whose Acct-Session-Id steers FreeRADIUS's answer. */
  async function suspendedLine(acctSessionId: string, nas: 'freeradius-nas' | 'silent-nas' = 'freeradius-nas') {
    const n = nextAddress++
    const msisdn = `86139000000${n}`
    const address = nas === 'freeradius-nas' ? `10.1.0.${n}` : `10.2.0.${n}`
    await db().insertInto('lines').values({ msisdn, balanceMinor: -1000, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 }).execute()
    const nasId = (globalThis as { nasIds?: Record<string, number> }).nasIds![nas]!
    await createSessionRecorder(db(), { touchAfterMs: 0 }).record({
      kind: 'start', nasId, realm: nas === 'freeradius-nas' ? 'default' : 'silent', acctSessionId, msisdn, imsi: null,
      framedIp: address, framedIpv6Prefix: null, delegatedIpv6Prefix: null, eventTime: new Date(), stopReason: null,
    })
    return { msisdn, address, realm: nas === 'freeradius-nas' ? 'default' : 'silent' }
  }

  async function formToken(app: FastifyInstance, address: string, headers: Record<string, string>): Promise<string> {
    const page = await app.inject({ url: '/portal', remoteAddress: address, headers })
    const ft = /name="ft" value="([^"]+)"/.exec(page.body)?.[1]
    expect(ft).toBeDefined()
    return ft!
  }

  async function submitVoucher(app: FastifyInstance, address: string, realm: string, serial: string, pin: string, token?: string) {
    const headers: Record<string, string> = realm === 'default' ? {} : { 'x-test-realm': realm }
    const ft = token ?? (await formToken(app, address, headers))
    const res = await app.inject({
      method: 'POST',
      url: '/recharge/voucher',
      remoteAddress: address,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams({ ft: ft!, serial, pin, lang: 'en' }).toString(),
    })
    return res
  }

  async function waitForState(id: string, states: string[]) {
    await waitFor(async () => states.includes((await findAttempt(db(), id))!.state), 20_000, `attempt in ${states.join('/')}`)
    return (await findAttempt(db(), id))!
  }

  it('confirms the lift only once the line\'s next accounting record arrives after it', async () => {
    const line = await suspendedLine('confirm-1')
    const res = await submitVoucher(web.app, line.address, line.realm, 'T-1019', '99991019')
    const id = /\/recharge\/([\w-]{22})/.exec(res.headers.location as string)![1]!
    await waitForState(id, ['lifted'])
    // No accounting since the lift: the confirm job keeps waiting (and the attempt stays lifted).
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect((await findAttempt(db(), id))!.state).toBe('lifted')
    const nasId = (globalThis as { nasIds?: Record<string, number> }).nasIds!['freeradius-nas']!
    await createSessionRecorder(db(), { touchAfterMs: 0 }).record({
      kind: 'interim', nasId, realm: 'default', acctSessionId: 'confirm-1', msisdn: line.msisdn, imsi: null,
      framedIp: line.address, framedIpv6Prefix: null, delegatedIpv6Prefix: null, eventTime: new Date(Date.now() + 1000), stopReason: null,
    })
    const attempt = await waitForState(id, ['confirmed'])
    expect(attempt.confirmedAt).not.toBeNull()
    expect((await attemptEvents(db(), id)).map((e) => e.kind).slice(-2)).toEqual(['lifted', 'confirmed'])
  })

  it('pays, credits once, sends a CoA that FreeRADIUS ACKs, and shows "service restored"', async () => {
    const line = await suspendedLine('ok-1')
    const res = await submitVoucher(web.app, line.address, line.realm, 'T-1000', '99991000')
    expect(res.statusCode).toBe(303)
    const id = /\/recharge\/([\w-]{22})/.exec(res.headers.location as string)![1]!
    const attempt = await waitForState(id, ['lifted', 'confirmed'])
    expect(attempt).toMatchObject({ msisdn: line.msisdn, amountMinor: 5000, currency: 'CNY', voucherSerial: 'T-1000', needsSupport: false })
    const ledger = await db().selectFrom('ledgerEntries').selectAll().where('msisdn', '=', line.msisdn).execute()
    expect(ledger).toHaveLength(1)
    expect(ledger[0]).toMatchObject({ amountMinor: 5000, idempotencyKey: `attempt:${id}` })
    expect(await db().selectFrom('lines').select(['balanceMinor', 'status']).where('msisdn', '=', line.msisdn).executeTakeFirst()).toEqual({ balanceMinor: 4000, status: 'active' })
    const events = await attemptEvents(db(), id)
    expect(events.map((e) => e.kind)).toEqual(['created', 'paid', 'credited', 'lifting', 'radius', 'lifted'])
    const exchange = events.find((e) => e.kind === 'radius')!.detail as { kind: string; outcome: { kind: string }; requestHex: string; request: { attributes: Record<string, unknown> }; response: { hex: string } }
    expect(exchange.kind).toBe('coa')
    expect(exchange.outcome.kind).toBe('ack')
    expect(exchange.request.attributes).toMatchObject({ 'Acct-Session-Id': 'ok-1', 'Framed-IP-Address': line.address, 'Filter-Id': 'internet' })
    expect(exchange.request.attributes['Event-Timestamp']).toEqual(expect.any(Number))
    expect(exchange.requestHex).toMatch(/^0000 {2}2b /) // CoA-Request = 43
    expect(exchange.response.hex).toMatch(/^0000 {2}2c /) // CoA-ACK = 44
    const status = await web.app.inject({ url: `/recharge/${id}?lang=en` })
    expect(status.body).toContain('Service restored')
    expect(status.body).not.toContain('http-equiv="refresh"')
  })

  it('takes a voucher once: a second submission of the same card is declined and nothing is credited twice', async () => {
    const line = await suspendedLine('ok-2')
    // The same form submitted twice (a double tap on a slow link).
    const ft = await formToken(web.app, line.address, {})
    const first = await submitVoucher(web.app, line.address, line.realm, 'T-1001', '99991001', ft)
    const second = await submitVoucher(web.app, line.address, line.realm, 'T-1001', '99991001', ft)
    const secondId = /\/recharge\/([\w-]{22})/.exec(second.headers.location as string)![1]!
    expect((await findAttempt(db(), secondId))!.state).toBe('declined')
    const page = await web.app.inject({ url: `/recharge/${secondId}?lang=en` })
    expect(page.body).toContain('already been used')
    expect(first.statusCode).toBe(303)
    const credits = await db().selectFrom('ledgerEntries').select('id').where('msisdn', '=', line.msisdn).where('kind', '=', 'credit').execute()
    expect(credits).toHaveLength(1)
  })

  it('declines a wrong PIN without consuming the card, and locks the line out after 5 wrong PINs', async () => {
    const line = await suspendedLine('ok-3')
    for (let i = 0; i < 5; i++) {
      const res = await submitVoucher(web.app, line.address, line.realm, 'T-1002', '00000000')
      expect(res.statusCode).toBe(303)
    }
    const locked = await submitVoucher(web.app, line.address, line.realm, 'T-1002', '99991002')
    expect(locked.statusCode).toBe(429)
    expect(locked.body).toContain('Too many wrong PINs')
    expect(await db().selectFrom('vouchers').select('status').where('serial', '=', 'T-1002').executeTakeFirst()).toEqual({ status: 'unused' })
  })

  it('treats NAK 503 (session context not found) as nothing left to restore', async () => {
    const line = await suspendedLine('gone')
    const res = await submitVoucher(web.app, line.address, line.realm, 'T-1003', '99991003')
    const id = /\/recharge\/([\w-]{22})/.exec(res.headers.location as string)![1]!
    await waitForState(id, ['lifted'])
    const events = await attemptEvents(db(), id)
    expect(events.find((e) => e.kind === 'lifted')!.detail).toMatchObject({ how: 'session-gone' })
    expect((events.find((e) => e.kind === 'radius')!.detail as { outcome: unknown }).outcome).toEqual({ kind: 'nak', errorCause: 503 })
  })

  it('retries on NAK 506 (resources unavailable) and flags the attempt for support when the NAS stays busy', async () => {
    const line = await suspendedLine('busy')
    const res = await submitVoucher(web.app, line.address, line.realm, 'T-1004', '99991004')
    const id = /\/recharge\/([\w-]{22})/.exec(res.headers.location as string)![1]!
    const attempt = await waitForState(id, ['failed'])
    expect(attempt.needsSupport).toBe(true)
    const radiusEvents = (await attemptEvents(db(), id)).filter((e) => e.kind === 'radius')
    expect(radiusEvents.length).toBeGreaterThanOrEqual(10) // one CoA per job try, max_tries = 10
    for (const e of radiusEvents) expect((e.detail as { outcome: unknown }).outcome).toEqual({ kind: 'nak', errorCause: 506 })
  })

  it('against a silent NAS: retransmits byte-identically on the doubling schedule, falls back to Disconnect, then flags', async () => {
    silentPackets = []
    const line = await suspendedLine('never-answered', 'silent-nas')
    const app = (await buildTestApp(t.handle, { REALM_HEADER: 'x-test-realm', TRUSTED_PROXIES: '10.2.0.0/24' })).app
    const res = await submitVoucher(app, line.address, line.realm, 'T-1005', '99991005')
    const id = /\/recharge\/([\w-]{22})/.exec(res.headers.location as string)![1]!
    const attempt = await waitForState(id, ['failed'])
    await app.close()
    expect(attempt.needsSupport).toBe(true)
    expect(attempt.supportReason).toMatch(/coa: timeout, disconnect: timeout/)
    const coa = silentPackets.filter((p) => p[0] === 43)
    const disconnect = silentPackets.filter((p) => p[0] === 40)
    expect(coa).toHaveLength(5)
    expect(disconnect).toHaveLength(5)
    for (const p of coa) expect(p.equals(coa[0]!)).toBe(true)
    for (const p of disconnect) expect(p.equals(disconnect[0]!)).toBe(true)
    const exchanges = (await attemptEvents(db(), id)).filter((e) => e.kind === 'radius').map((e) => e.detail as { sentAt: string[] })
    const gaps = exchanges[0]!.sentAt.map((s) => Date.parse(s)).map((ms, i, all) => (i === 0 ? 0 : ms - all[i - 1]!))
    // 100, 200, 400, 800 ms apart: never early, and late only by timer slack on a busy machine.
    const expected = [100, 200, 400, 800]
    gaps.slice(1).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! - 5)
      expect(gap).toBeLessThan(expected[i]! + 300)
    })
    const page = await web.app.inject({ url: `/recharge/${id}?lang=en` })
    expect(page.body).toContain(attempt.reference)
  })
})
