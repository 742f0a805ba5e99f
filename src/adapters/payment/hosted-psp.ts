// A hosted card/wallet payment provider: create an order and send the subscriber to the
// provider's page; learn the outcome from a signed webhook (HMAC-SHA256 over "<timestamp>.<raw
// body>", 300 s tolerance, constant-time comparison), and never believe it alone: the order's
// status is re-queried from the provider before any credit. The return URL from the payment
// page means "check the status", never "paid".
import { createHmac, timingSafeEqual } from 'node:crypto'

/** How to reach the provider. */
export interface PspConfig {
  url: string
  merchantId: string
  apiKey: string
  webhookSecret: string
  timeoutMs: number
}

/** An order as the provider reports it. */
export interface PspOrder {
  orderId: string
  merchantId: string
  amount: number
  currency: string
  reference: string
  status: 'pending' | 'paid' | 'declined' | 'unknown'
}

/** Why a webhook was refused (metric label). */
export type WebhookRejection = 'missing_signature' | 'bad_signature' | 'stale' | 'malformed'

/** Webhook signatures older or newer than this are refused. */
export const WEBHOOK_TOLERANCE_S = 300

/** The provider client. */
export interface HostedPsp {
  readonly host: string
  readonly origin: string
  readonly merchantId: string
  createOrder(order: { amount: number; currency: string; reference: string; returnUrl: string; notifyUrl: string }): Promise<{ orderId: string; payUrl: string }>
  getOrder(orderId: string): Promise<PspOrder>
  /** Check a webhook's signature and freshness; the parsed body when good. */
  verifyWebhook(rawBody: Buffer, timestamp: unknown, signature: unknown, nowS?: number): { ok: true; body: Record<string, unknown> } | { ok: false; reason: WebhookRejection }
}

function toOrder(raw: Record<string, unknown>): PspOrder {
  const status = raw.status === 'pending' || raw.status === 'paid' || raw.status === 'declined' ? raw.status : 'unknown'
  return {
    orderId: String(raw.order_id),
    merchantId: String(raw.merchant_id),
    amount: Number(raw.amount),
    currency: String(raw.currency),
    reference: String(raw.reference),
    status,
  }
}

/** Create the client. */
export function createHostedPsp(config: PspConfig): HostedPsp {
  const headers = { authorization: `Bearer ${config.apiKey}`, 'content-type': 'application/json' }
  async function call(path: string, init: RequestInit): Promise<Record<string, unknown>> {
    const res = await fetch(`${config.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(config.timeoutMs) })
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>
    if (!res.ok) throw new Error(`payment provider answered ${res.status} to ${path}`)
    return body
  }
  return {
    host: new URL(config.url).host,
    origin: new URL(config.url).origin,
    merchantId: config.merchantId,
    async createOrder(order) {
      const body = await call('/v1/orders', {
        method: 'POST',
        body: JSON.stringify({ merchant_id: config.merchantId, amount: order.amount, currency: order.currency, reference: order.reference, return_url: order.returnUrl, notify_url: order.notifyUrl }),
      })
      if (typeof body.order_id !== 'string' || typeof body.pay_url !== 'string') throw new Error('payment provider returned no order')
      return { orderId: body.order_id, payUrl: body.pay_url }
    },
    async getOrder(orderId) {
      return toOrder(await call(`/v1/orders/${encodeURIComponent(orderId)}`, { method: 'GET' }))
    },
    verifyWebhook(rawBody, timestamp, signature, nowS = Date.now() / 1000) {
      if (typeof timestamp !== 'string' || typeof signature !== 'string') return { ok: false, reason: 'missing_signature' }
      const ts = Number(timestamp)
      if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowS - ts) > WEBHOOK_TOLERANCE_S) return { ok: false, reason: 'stale' }
      const expected = createHmac('sha256', config.webhookSecret).update(`${timestamp}.`).update(rawBody).digest()
      const given = /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' }
      try {
        const body = JSON.parse(rawBody.toString('utf8')) as unknown
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: 'malformed' }
        return { ok: true, body: body as Record<string, unknown> }
      } catch {
        return { ok: false, reason: 'malformed' }
      }
    },
  }
}
