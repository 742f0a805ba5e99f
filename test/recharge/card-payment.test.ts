// Card payments against the sandbox provider over real HTTP: order, hosted page, signed webhook,
// status re-query, exactly one credit whatever the webhooks do.
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHostedPsp } from '../../src/adapters/payment/hosted-psp.ts'
import { SANDBOX_MERCHANT } from '../../src/config/psp-config.ts'
import { findAttempt } from '../../src/db/attempts.ts'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { type SandboxPsp, startSandboxPsp } from '../../src/sandbox/sandbox-psp.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { freePort } from '../helpers/process.ts'

describe('card recharge through the sandbox payment provider', () => {
  let t: TestDatabase
  let sandbox: SandboxPsp
  let web: TestApp
  let app: FastifyInstance
  let base: string
  let n = 10

  beforeAll(async () => {
    t = await createTestDatabase()
    sandbox = await startSandboxPsp(SANDBOX_MERCHANT)
    const psp = createHostedPsp({ url: sandbox.url, ...SANDBOX_MERCHANT, timeoutMs: 5000 })
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    web = await buildTestApp(t.handle, { PORTAL_URL: base, RECHARGE_AMOUNTS: '20,50' }, { psp })
    app = web.app
    await app.listen({ host: '127.0.0.1', port })
    await t.handle.db
      .insertInto('nasClients')
      .values({ name: 'pgw', address: '10.4.0.0/16', secret: 's3cret', realm: 'default', requireMessageAuthenticator: false, coaHost: null, coaPort: 3799, liftProfile: 'none' })
      .execute()
  })
  afterAll(async () => {
    await app?.close()
    await sandbox?.close()
    await t.destroy()
  })

  async function line(): Promise<{ msisdn: string; address: string }> {
    n++
    const msisdn = `86137000000${n}`
    const address = `10.4.0.${n}`
    await t.handle.db.insertInto('lines').values({ msisdn, balanceMinor: -1000, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 }).execute()
    const nas = await t.handle.db.selectFrom('nasClients').select('id').executeTakeFirstOrThrow()
    await createSessionRecorder(t.handle.db, { touchAfterMs: 0 }).record({
      kind: 'start', nasId: nas.id, realm: 'default', acctSessionId: `card-${n}`, msisdn, imsi: null, framedIp: address,
      framedIpv6Prefix: null, delegatedIpv6Prefix: null, eventTime: new Date(), stopReason: null,
    })
    return { msisdn, address }
  }

  async function startCard(address: string, amount = 5000): Promise<{ attemptId: string; payUrl: string; orderId: string }> {
    const page = await app.inject({ url: '/portal', remoteAddress: address })
    const ft = /name="ft" value="([^"]+)"/.exec(page.body)![1]!
    expect(page.body).toContain('name="amount" value="5000"')
    const res = await app.inject({
      method: 'POST',
      url: '/recharge/card',
      remoteAddress: address,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ ft, amount: String(amount), lang: 'en' }).toString(),
    })
    expect(res.statusCode).toBe(303)
    expect(res.headers['content-security-policy']).toContain(`form-action 'self' ${sandbox.url}`)
    const payUrl = res.headers.location as string
    expect(payUrl.startsWith(`${sandbox.url}/pay/`)).toBe(true)
    const orderId = payUrl.split('/').pop()!
    const order = sandbox.orders.get(orderId)!
    return { attemptId: order.reference, payUrl, orderId }
  }

  async function credits(msisdn: string): Promise<number> {
    return (await t.handle.db.selectFrom('ledgerEntries').select('id').where('msisdn', '=', msisdn).where('kind', '=', 'credit').execute()).length
  }

  it('creates the order, and the return URL alone does not mean paid', async () => {
    const l = await line()
    const { attemptId } = await startCard(l.address)
    expect((await findAttempt(t.handle.db, attemptId))!.state).toBe('paying')
    const back = await fetch(`${base}/recharge/${attemptId}/return?lang=en`, { redirect: 'manual' })
    expect(back.status).toBe(303)
    expect((await findAttempt(t.handle.db, attemptId))!.state).toBe('paying')
    expect(await credits(l.msisdn)).toBe(0)
  })

  it('pays on the hosted page, is credited once from the signed webhook, and the return URL shows the result', async () => {
    const l = await line()
    const { attemptId, payUrl } = await startCard(l.address)
    const paid = await fetch(payUrl, { method: 'POST', body: new URLSearchParams({ action: 'pay' }), redirect: 'manual' })
    expect(paid.status).toBe(303)
    expect(paid.headers.get('location')).toBe(`${base}/recharge/${attemptId}/return?lang=en`)
    const attempt = (await findAttempt(t.handle.db, attemptId))!
    expect(attempt.state).toBe('credited')
    expect(attempt.amountMinor).toBe(5000)
    expect(await credits(l.msisdn)).toBe(1)
    const status = await fetch(`${base}/recharge/${attemptId}?lang=en`)
    expect(await status.text()).toMatch(/refreshes by itself|Service restored/)
  })

  it('credits once under 10 concurrent duplicate webhooks, and a declined re-send cannot undo it', async () => {
    const l = await line()
    const { attemptId, orderId, payUrl } = await startCard(l.address)
    await fetch(payUrl, { method: 'POST', body: new URLSearchParams({ action: 'pay' }), redirect: 'manual' })
    const statuses = await Promise.all(Array.from({ length: 10 }, () => sandbox.notify(orderId)))
    expect(statuses.every((s) => s === 200)).toBe(true)
    const order = sandbox.orders.get(orderId)!
    const body = JSON.stringify({ event: 'order.declined', order_id: orderId, merchant_id: order.merchantId, amount: order.amount, currency: order.currency, reference: attemptId, status: 'declined' })
    const ts = Math.floor(Date.now() / 1000)
    const late = await fetch(`${base}/webhooks/psp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-psp-timestamp': String(ts), 'x-psp-signature': sandbox.sign(body, ts) }, body })
    expect(late.status).toBe(200)
    expect(await credits(l.msisdn)).toBe(1)
    expect((await findAttempt(t.handle.db, attemptId))!.state).toBe('credited')
  })

  it('never credits from a webhook alone: a signed "paid" for an unpaid order is checked against the provider', async () => {
    const l = await line()
    const { attemptId, orderId } = await startCard(l.address)
    const order = sandbox.orders.get(orderId)!
    const body = JSON.stringify({ event: 'order.paid', order_id: orderId, merchant_id: order.merchantId, amount: order.amount, currency: order.currency, reference: attemptId, status: 'paid' })
    const ts = Math.floor(Date.now() / 1000)
    const res = await fetch(`${base}/webhooks/psp`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-psp-timestamp': String(ts), 'x-psp-signature': sandbox.sign(body, ts) }, body })
    expect(res.status).toBe(200)
    expect((await findAttempt(t.handle.db, attemptId))!.state).toBe('paying')
    expect(await credits(l.msisdn)).toBe(0)
  })

  it('rejects forged, stale, unsigned and mismatched webhooks, and counts them', async () => {
    const l = await line()
    const { attemptId, orderId, payUrl } = await startCard(l.address)
    await sandbox.orders.get(orderId) // order exists
    const order = sandbox.orders.get(orderId)!
    order.status = 'paid' // paid at the provider, but no genuine webhook delivered yet
    void payUrl
    const good = { event: 'order.paid', order_id: orderId, merchant_id: order.merchantId, amount: order.amount, currency: order.currency, reference: attemptId, status: 'paid' }
    const post = (body: string, headers: Record<string, string>) => fetch(`${base}/webhooks/psp`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    const now = Math.floor(Date.now() / 1000)
    const body = JSON.stringify(good)
    expect((await post(body, { 'x-psp-timestamp': String(now), 'x-psp-signature': '0'.repeat(64) })).status).toBe(401)
    expect((await post(body, { 'x-psp-timestamp': String(now - 301), 'x-psp-signature': sandbox.sign(body, now - 301) })).status).toBe(401)
    expect((await post(body, {})).status).toBe(401)
    const tampered = JSON.stringify({ ...good, amount: 1 })
    expect((await post(tampered, { 'x-psp-timestamp': String(now), 'x-psp-signature': sandbox.sign(body, now) })).status).toBe(401)
    const cheap = JSON.stringify({ ...good, amount: 1 })
    expect((await post(cheap, { 'x-psp-timestamp': String(now), 'x-psp-signature': sandbox.sign(cheap, now) })).status).toBe(400)
    expect(await credits(l.msisdn)).toBe(0)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(metrics).toMatch(/gateway_psp_webhooks_total\{outcome="bad_signature"\} [2-9]/)
    expect(metrics).toMatch(/gateway_psp_webhooks_total\{outcome="stale"\} 1/)
    expect(metrics).toMatch(/gateway_psp_webhooks_total\{outcome="missing_signature"\} 1/)
    expect(metrics).toMatch(/gateway_psp_webhooks_total\{outcome="mismatch"\} 1/)
    // The genuine one still works afterwards.
    expect((await post(body, { 'x-psp-timestamp': String(now), 'x-psp-signature': sandbox.sign(body, now) })).status).toBe(200)
    expect(await credits(l.msisdn)).toBe(1)
  })

  it('ends declined when the subscriber declines on the provider page', async () => {
    const l = await line()
    const { attemptId, payUrl } = await startCard(l.address)
    await fetch(payUrl, { method: 'POST', body: new URLSearchParams({ action: 'decline' }), redirect: 'manual' })
    expect((await findAttempt(t.handle.db, attemptId))!.state).toBe('declined')
    expect(await credits(l.msisdn)).toBe(0)
  })
})
