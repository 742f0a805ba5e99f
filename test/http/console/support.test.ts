// Support in the console, with FreeRADIUS playing the NAS: find an attempt the ways a caller
// describes it, read its timeline down to the RADIUS packets (masked for roles without
// msisdn:full, in decoded attributes and in hex), see the line's sessions, and act — retry lift,
// force Disconnect, mark refunded — each refused without a reason and audited with one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchAudit } from '../../../src/audit/audit-log.ts'
import { createApiToken } from '../../../src/db/api-tokens.ts'
import { attemptEvents, findAttempt } from '../../../src/db/attempts.ts'
import type { RechargeAttempt } from '../../../src/db/schema.ts'
import { createSessionRecorder } from '../../../src/identification/session-recorder.ts'
import { buildTestApp, type TestApp } from '../../helpers/app.ts'
import { sessionRecord } from '../../helpers/fixtures.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts'
import { freeradiusPath, peerAvailable } from '../../helpers/peers.ts'
import { type ConsoleSession, createStaffUser, signIn } from '../../helpers/staff.ts'
import { type NasPeer, seedAttempt, startNasPeer } from '../../helpers/support.ts'

const available = peerAvailable('FreeRADIUS server', freeradiusPath() ? undefined : 'freeradius not installed (apt-get install freeradius)')

describe.skipIf(!available)('support console', () => {
  let t: TestDatabase
  let test: TestApp
  let nas: NasPeer
  let admin: ConsoleSession
  let support: ConsoleSession
  let operator: ConsoleSession
  let lifted: RechargeAttempt
  let paid: RechargeAttempt
  let credited: RechargeAttempt
  const db = () => t.handle.db

  beforeAll(async () => {
    t = await createTestDatabase()
    nas = await startNasPeer(db(), 'support-nas', '10.7.0.0/24')
    lifted = await seedAttempt(db(), { msisdn: '8613812340077', address: '10.7.0.77', nasId: nas.nasId, acctSessionId: 'acct-77', serial: 'SER-0077', until: 'lifted', network: nas.network })
    paid = await seedAttempt(db(), { msisdn: '8613812345678', address: '10.7.0.78', nasId: nas.nasId, acctSessionId: 'acct-78', serial: 'SER-0078', until: 'paid' })
    credited = await seedAttempt(db(), { msisdn: '8613899990001', address: '10.7.0.79', nasId: nas.nasId, acctSessionId: 'acct-79', serial: 'SER-0079' })
    // The line's next Interim-Update after the lift: the accounting support sees "afterwards".
    await createSessionRecorder(db(), { touchAfterMs: 0 }).record(sessionRecord('interim', { nasId: nas.nasId, realm: 'default', acctSessionId: 'acct-77', msisdn: '8613812340077', framedIp: '10.7.0.77', eventTime: new Date() }))
    test = await buildTestApp(t.handle, {}, { network: nas.network })
    await createStaffUser(db(), 'ada.admin', 'admin')
    await createStaffUser(db(), 'sam.support', 'support')
    await createStaffUser(db(), 'olga.ops', 'operator')
    admin = await signIn(test.app, 'ada.admin')
    support = await signIn(test.app, 'sam.support')
    operator = await signIn(test.app, 'olga.ops')
  })
  afterAll(async () => {
    await test?.app.close()
    await nas?.close()
    await t.destroy()
  })

  /** Every octet of the hex dumps in a page, as one hex string. */
  const dumpHex = (html: string) => [...html.matchAll(/^[0-9a-f]{4} {2}((?:[0-9a-f]{2} {1,2})+)/gm)].map((m) => m[1]!.replace(/\s/g, '')).join('')
  const references = (html: string) => [...html.matchAll(/href="\/console\/attempts\/[^"]+">(R[A-Z0-9]{8})</g)].map((m) => m[1])

  it('finds attempts by whole number, last digits, source address or prefix, state, reference, voucher serial and time', async () => {
    const cases: [string, RechargeAttempt[]][] = [
      ['msisdn=8613812340077', [lifted]],
      ['msisdn=%2B8613812340077', [lifted]],
      ['msisdn=13812340077', [lifted]], // the national number, as a caller reads it out
      ['msisdn=0077', [lifted]],
      ['msisdn=5678', [paid]],
      ['address=10.7.0.78', [paid]],
      ['address=10.7.0.0%2F24', [credited, paid, lifted]],
      ['state=credited', [credited]],
      [`reference=${lifted.reference.toLowerCase()}`, [lifted]],
      ['voucher=SER-0079', [credited]],
      [`from=${new Date(Date.now() - 3_600_000).toISOString().slice(0, 16)}&msisdn=0001`, [credited]],
      [`to=${new Date(Date.now() - 3_600_000).toISOString().slice(0, 16)}`, []],
    ]
    for (const [query, expected] of cases) {
      const res = await support.get(`/console/attempts?${query}`)
      expect(res.statusCode, query).toBe(200)
      expect(references(res.body), query).toEqual(expected.map((a) => a.reference))
    }
  })

  it('explains a search field it cannot read instead of failing', async () => {
    for (const query of ['msisdn=12', 'address=not-an-address', 'from=yesterday']) {
      const res = await support.get(`/console/attempts?${query}`)
      expect(res.statusCode).toBe(200)
      expect(res.body).toMatch(/class="problem"/)
    }
  })

  it('masks numbers for support everywhere on the timeline, RADIUS hex included, and shows them whole to admins', async () => {
    const masked = await support.get(`/console/attempts/${lifted.id}`)
    expect(masked.statusCode).toBe(200)
    expect(masked.body).not.toContain('8613812340077')
    expect(dumpHex(masked.body)).not.toContain(Buffer.from('8613812340077').toString('hex'))
    expect(dumpHex(masked.body)).toContain(Buffer.from('86138****0077').toString('hex'))
    expect(masked.body).toContain('138****0077')
    expect(masked.body).toContain('86138****0077') // inside the decoded Calling-Station-Id and the hex dump's text column
    expect(masked.body).toMatch(/CoA-Request to 127\.0\.0\.1:\d+: <strong>ACK<\/strong>/)
    expect(masked.body).toMatch(/0000 {2}2b [0-9a-f]{2} /) // the request's hex dump starts with code 43 (CoA-Request)
    expect(masked.body).toMatch(/0000 {2}2c [0-9a-f]{2} /) // and the answer with 44 (CoA-ACK)
    expect(masked.body).toMatch(/<td>support-nas<\/td><td>acct-77<\/td>/) // accounting seen since the attempt started

    const whole = await admin.get(`/console/attempts/${lifted.id}`)
    expect(whole.body).toContain('8613812340077')
    expect(dumpHex(whole.body)).toContain(Buffer.from('8613812340077').toString('hex'))
  })

  it("shows a line's session history, and only the actions a role may take", async () => {
    const line = await support.get(`/console/lines?attempt=${lifted.id}`)
    expect(line.body).toContain('acct-77')
    expect(line.body).toContain(lifted.reference)
    expect(line.body).not.toContain('8613812340077')
    expect((await support.get(`/console/attempts/${lifted.id}`)).body).toContain('Retry lift')
    const opsView = await operator.get(`/console/attempts/${lifted.id}`)
    expect(opsView.statusCode).toBe(200)
    expect(opsView.body).not.toContain('Retry lift')
    expect((await operator.post(`/console/attempts/${lifted.id}/refund`, { reason: 'operator tries' })).statusCode).toBe(403)
  })

  it('refuses an action without a reason, and records nothing', async () => {
    const res = await support.post(`/console/attempts/${credited.id}/refund`, { reason: ' no ' })
    expect(res.statusCode).toBe(400)
    expect(res.body).toContain('Give a reason')
    expect((await findAttempt(db(), credited.id))!.state).toBe('credited')
    expect(await searchAudit(db(), { action: 'attempt.mark-refunded' })).toEqual([])
  })

  it('retries a lift for a credited attempt: queues a lift job, notes it on the timeline, audits it; refuses a second while queued and one for an unpaid line', async () => {
    const res = await support.post(`/console/attempts/${lifted.id}/retry-lift`, { reason: 'customer says still no data' })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe(`/console/attempts/${lifted.id}?done=retry-lift`)
    const jobs = await db().selectFrom('jobs').select(['kind', 'payload', 'doneAt']).where('kind', '=', 'lift').where('doneAt', 'is', null).execute()
    expect(jobs.map((j) => (j.payload as { attemptId: string }).attemptId)).toContain(lifted.id)
    expect((await attemptEvents(db(), lifted.id)).at(-1)).toMatchObject({ kind: 'support-retry-lift', detail: { by: 'sam.support', reason: 'customer says still no data' } })
    expect((await searchAudit(db(), { action: 'attempt.retry-lift' }))[0]).toMatchObject({ actor: 'sam.support', target: `attempt:${lifted.reference}`, reason: 'customer says still no data', before: { state: 'lifted' } })

    const again = await support.post(`/console/attempts/${lifted.id}/retry-lift`, { reason: 'pressing it twice' })
    expect(again.statusCode).toBe(409)
    expect(again.body).toContain('already queued')
    const unpaid = await support.post(`/console/attempts/${paid.id}/retry-lift`, { reason: 'not credited yet' })
    expect(unpaid.statusCode).toBe(409)
    expect(unpaid.body).toContain('never credited')
  })

  it('forces a Disconnect of the line through FreeRADIUS and puts the exchange on the timeline', async () => {
    const res = await support.post(`/console/attempts/${credited.id}/disconnect`, { reason: 'stuck session after credit' })
    expect(res.statusCode).toBe(303)
    const events = await attemptEvents(db(), credited.id)
    const radius = events.find((e) => e.kind === 'radius')
    expect(radius?.detail).toMatchObject({ kind: 'disconnect', outcome: { kind: 'ack' } })
    expect(events.at(-1)).toMatchObject({ kind: 'support-disconnect', detail: { by: 'sam.support', outcome: { kind: 'disconnected', how: 'ack' } } })
    const page = await support.get(`/console/attempts/${credited.id}?done=disconnect`)
    expect(page.body).toContain('Disconnect sent')
    expect(page.body).toMatch(/Disconnect-Request to 127\.0\.0\.1:\d+: <strong>ACK<\/strong>/)
    expect((await searchAudit(db(), { action: 'line.force-disconnect' }))[0]).toMatchObject({ actor: 'sam.support', target: `attempt:${credited.reference}`, after: { outcome: { kind: 'disconnected' } } })
  })

  it('forces a Disconnect of a line by number through the API, audited under the masked number', async () => {
    const token = (await createApiToken(db(), { name: 'support-bot', role: 'support', createdBy: 'test' })).token
    const send = (msisdn: string, reason: string) => test.app.inject({ method: 'POST', url: `/api/v1/lines/${msisdn}/disconnect`, headers: { authorization: `Bearer ${token}` }, payload: { reason } })
    const res = await send('8613812340077', 'subscriber asked for a fresh attach')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ outcome: { kind: 'disconnected', how: 'ack' }, acctSessionId: 'acct-77' })
    expect((await searchAudit(db(), { action: 'line.force-disconnect', target: 'line:' }))[0]).toMatchObject({ actor: 'token:support-bot', target: 'line:138****0077', reason: 'subscriber asked for a fresh attach' })
    const none = await send('8613800000000', 'no such session anywhere')
    expect(none.statusCode).toBe(409)
    expect(none.json().message).toContain('no active session')
  })

  it('marks a paid attempt refunded once, audited with before and after', async () => {
    const res = await support.post(`/console/attempts/${paid.id}/refund`, { reason: 'refunded by bank transfer #123' })
    expect(res.statusCode).toBe(303)
    expect((await findAttempt(db(), paid.id))!.state).toBe('refunded')
    expect((await searchAudit(db(), { action: 'attempt.mark-refunded' }))[0]).toMatchObject({ before: { state: 'paid' }, after: { state: 'refunded' }, reason: 'refunded by bank transfer #123' })
    const twice = await support.post(`/console/attempts/${paid.id}/refund`, { reason: 'refunded by bank transfer #123' })
    expect(twice.statusCode).toBe(409)
  })

  it('says so when no network adapter can send a Disconnect', async () => {
    const bare = await buildTestApp(t.handle)
    try {
      const session = await signIn(bare.app, 'sam.support')
      const res = await session.post(`/console/attempts/${lifted.id}/disconnect`, { reason: 'try without a network' })
      expect(res.statusCode).toBe(503)
      expect(res.body).toContain('No network adapter')
    } finally {
      await bare.app.close()
    }
  })
})
