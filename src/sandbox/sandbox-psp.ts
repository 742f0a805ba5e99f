// A sandbox card/wallet payment provider, standing in for the carrier's real PSP (which lies
// outside the carrier) in the demo and the tests, so both exercise the real HTTP protocol:
//   POST /v1/orders            create an order (Bearer API key) → { order_id, pay_url }
//   GET  /v1/orders/:id        the order's status (Bearer API key)
//   GET  /pay/:id              the hosted payment page (no JavaScript)
//   POST /pay/:id              pay or decline; then the signed webhook, then 303 to return_url
// Webhooks: JSON body, X-Psp-Timestamp (seconds) and X-Psp-Signature = hex HMAC-SHA256 of
// "<timestamp>.<raw body>" with the merchant's webhook secret. In memory; a restart forgets orders.
import { createHmac, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

/** The sandbox's merchant account. */
export interface SandboxMerchant {
  merchantId: string
  apiKey: string
  webhookSecret: string
}

/** A sandbox order. */
export interface SandboxOrder {
  orderId: string
  merchantId: string
  amount: number
  currency: string
  reference: string
  returnUrl: string
  notifyUrl: string
  status: 'pending' | 'paid' | 'declined'
}

/** A running sandbox. */
export interface SandboxPsp {
  url: string
  orders: Map<string, SandboxOrder>
  /** Sign a webhook body as the sandbox does (tests use it to replay and to forge). */
  sign(body: string, timestamp: number): string
  /** Deliver the webhook for `orderId` now (tests use it for duplicates). */
  notify(orderId: string): Promise<number>
  close(): Promise<void>
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
      if (body.length > 64 * 1024) req.destroy(new Error('body too large'))
    })
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })
}

/** Start the sandbox on `host:port` (0 for any free port). */
export async function startSandboxPsp(merchant: SandboxMerchant, host = '127.0.0.1', port = 0): Promise<SandboxPsp> {
  const orders = new Map<string, SandboxOrder>()
  let base = ''

  const sign = (body: string, timestamp: number) => createHmac('sha256', merchant.webhookSecret).update(`${timestamp}.${body}`).digest('hex')
  const view = (o: SandboxOrder) => ({ order_id: o.orderId, merchant_id: o.merchantId, amount: o.amount, currency: o.currency, reference: o.reference, status: o.status })

  async function notify(orderId: string): Promise<number> {
    const order = orders.get(orderId)
    if (order === undefined) throw new Error(`no order ${orderId}`)
    const body = JSON.stringify({ event: `order.${order.status}`, ...view(order) })
    const timestamp = Math.floor(Date.now() / 1000)
    const res = await fetch(order.notifyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-psp-timestamp': String(timestamp), 'x-psp-signature': sign(body, timestamp) },
      body,
    })
    return res.status
  }

  function send(res: ServerResponse, status: number, body: string, type = 'application/json') {
    res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' })
    res.end(body)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base)
    const authorised = req.headers.authorization === `Bearer ${merchant.apiKey}`
    if (req.method === 'POST' && url.pathname === '/v1/orders') {
      if (!authorised) return send(res, 401, '{"error":"unauthorised"}')
      const input = JSON.parse(await readBody(req)) as Record<string, unknown>
      if (input.merchant_id !== merchant.merchantId || typeof input.amount !== 'number' || typeof input.currency !== 'string'
        || typeof input.reference !== 'string' || typeof input.return_url !== 'string' || typeof input.notify_url !== 'string') {
        return send(res, 400, '{"error":"invalid order"}')
      }
      const orderId = `ord_${randomBytes(9).toString('base64url')}`
      orders.set(orderId, { orderId, merchantId: merchant.merchantId, amount: input.amount, currency: input.currency, reference: input.reference, returnUrl: input.return_url, notifyUrl: input.notify_url, status: 'pending' })
      return send(res, 201, JSON.stringify({ order_id: orderId, pay_url: `${base}/pay/${orderId}` }))
    }
    const orderMatch = /^\/v1\/orders\/([\w-]+)$/.exec(url.pathname)
    if (req.method === 'GET' && orderMatch) {
      if (!authorised) return send(res, 401, '{"error":"unauthorised"}')
      const order = orders.get(orderMatch[1]!)
      return order ? send(res, 200, JSON.stringify(view(order))) : send(res, 404, '{"error":"no such order"}')
    }
    const payMatch = /^\/pay\/([\w-]+)$/.exec(url.pathname)
    const order = payMatch ? orders.get(payMatch[1]!) : undefined
    if (payMatch && order === undefined) return send(res, 404, 'no such order', 'text/plain')
    if (req.method === 'GET' && order) {
      const amount = `${(order.amount / 100).toFixed(2)} ${order.currency}`
      return send(
        res,
        200,
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Sandbox payment</title></head><body style="font:16px sans-serif;max-width:30em;padding:12px"><h1>Sandbox payment</h1><p>Pay <strong>${escape(amount)}</strong> to merchant ${escape(order.merchantId)}.</p><p>Order ${escape(order.orderId)} is ${order.status}.</p>${order.status === 'pending' ? `<form method="post"><button name="action" value="pay" style="width:100%;padding:10px;font-size:1em">Pay ${escape(amount)}</button><button name="action" value="decline" style="width:100%;padding:10px;margin-top:8px">Decline</button></form>` : ''}</body></html>`,
        'text/html',
      )
    }
    if (req.method === 'POST' && order) {
      const action = new URLSearchParams(await readBody(req)).get('action')
      if (order.status === 'pending') order.status = action === 'pay' ? 'paid' : 'declined'
      // A real PSP retries failed deliveries; the gateway's reconcile job covers a lost one.
      await notify(order.orderId).catch(() => 0)
      res.writeHead(303, { location: order.returnUrl })
      return void res.end()
    }
    send(res, 404, '{"error":"not found"}')
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, '{"error":"sandbox failure"}'))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address() as { port: number }
  base = `http://${host}:${address.port}`
  return {
    url: base,
    orders,
    sign,
    notify,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
