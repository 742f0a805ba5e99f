// The soak's paying subscribers, each on its own loopback address and line (bench/recharge's seed):
// voucher recharges end to end (bench/recharge's `recharge`: GET /portal, POST the voucher), and
// card payments at the sandbox provider — portal, POST /recharge/card, pay or decline on the
// provider's page (which sends its signed webhook), back through the return URL — followed by a
// burst of extra signed webhooks at random moments to both instances: the provider re-sending,
// exact copies signed at other times, and stale events claiming another status. A subscriber
// whose request failed (an instance killed under it, the database down) tries again, as people do.
import { Agent } from 'node:http'
import type { SandboxPsp } from '../../../src/sandbox/sandbox-psp.ts'
import { exchange, recharge } from '../../recharge/lib/drive.ts'
import { lineAddress, lineVoucher } from '../../recharge/lib/seed.ts'
import type { Fleet } from './fleet.ts'

/** What the voucher subscribers did. */
export interface VoucherFigures {
  started: number
  submitted: string[]
  /** Answered, but not with an attempt (e.g. the voucher was already used by a try that was cut). */
  refused: number
  /** Gave up after every retry. */
  failed: number
  retries: number
  examples: string[]
}

/** What the card subscribers and the webhook bursts did. */
export interface CardFigures {
  started: number
  orders: Map<string, { attemptId: string; fate: 'paid' | 'declined' }>
  failed: number
  retries: number
  webhooksSent: number
  duplicates: number
  webhookAnswers: Record<string, number>
  examples: string[]
}

const TRIES = 3
const pause = (ms: number) => new Promise((ok) => setTimeout(ok, ms))

/** Paced: subscriber k starts at k/rate s, at most `maxInFlight` at once, until `durationMs` or `lines` are used. */
async function paced(ratePerS: number, maxInFlight: number, durationMs: number, lines: number, work: (k: number) => Promise<void>): Promise<number> {
  const running = new Set<Promise<void>>()
  const start = Date.now()
  let k = 0
  for (; k < lines && Date.now() - start < durationMs; k++) {
    const wait = start + (k * 1000) / ratePerS - Date.now()
    if (wait > 0) await pause(wait)
    while (running.size >= maxInFlight) await Promise.race(running)
    const p: Promise<void> = work(k).finally(() => running.delete(p))
    running.add(p)
  }
  await Promise.all(running)
  return k
}

async function withRetries<T>(what: () => Promise<T>, onRetry: (err: Error) => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what()
    } catch (err) {
      if (attempt >= TRIES || /: 4\d\d /.test((err as Error).message)) throw err
      onRetry(err as Error)
      await pause(2000 * attempt)
    }
  }
}

function live(fleet: Fleet): number {
  const slot = fleet.pick()
  if (slot === undefined) throw new Error('no gateway up')
  return slot.port
}

/** Voucher subscribers on lines [0, lines). */
export async function runVoucherLoad(fleet: Fleet, options: { ratePerS: number; durationMs: number; lines: number }): Promise<VoucherFigures> {
  const f: VoucherFigures = { started: 0, submitted: [], refused: 0, failed: 0, retries: 0, examples: [] }
  const note = (e: Error) => void (f.examples.length < 8 && f.examples.push(e.message.slice(0, 160)))
  f.started = await paced(options.ratePerS, 32, options.durationMs, options.lines, async (i) => {
    const subscriber = { index: i, address: lineAddress(i), ...lineVoucher(i) }
    try {
      const done = await withRetries(() => recharge(live(fleet), subscriber), (e) => (f.retries++, note(e)))
      f.submitted.push(done.attemptId)
    } catch (err) {
      note(err as Error)
      if (/: 4\d\d /.test((err as Error).message)) f.refused++
      else f.failed++
    }
  })
  return f
}

const FT = /name="ft"\s+value="([^"]+)"/

/** Card subscribers on lines [firstLine, firstLine + lines); one in `declineEvery` declines. */
export async function runCardLoad(
  fleet: Fleet,
  sandbox: SandboxPsp,
  options: { ratePerS: number; durationMs: number; firstLine: number; lines: number; amountMinor: number; declineEvery: number; extraWebhooks: number; burstMs: number },
): Promise<CardFigures> {
  const f: CardFigures = { started: 0, orders: new Map(), failed: 0, retries: 0, webhooksSent: 0, duplicates: 0, webhookAnswers: {}, examples: [] }
  const note = (e: Error) => void (f.examples.length < 8 && f.examples.push(e.message.slice(0, 160)))
  const bursts: Promise<void>[] = []
  const answered = (status: number | string) => void (f.webhookAnswers[status] = (f.webhookAnswers[status] ?? 0) + 1)

  async function pay(k: number): Promise<string> {
    const address = lineAddress(options.firstLine + k)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      const port = live(fleet)
      const page = await exchange(agent, port, address, 'GET', '/portal?lang=en')
      const ft = FT.exec(page.text)?.[1]
      if (page.status !== 200 || ft === undefined) throw new Error(`GET /portal: ${page.status}`)
      const body = new URLSearchParams({ ft, amount: String(options.amountMinor), lang: 'en' }).toString()
      const started = await exchange(agent, port, address, 'POST', '/recharge/card', body)
      if (started.status !== 303 || !started.location?.startsWith(`${sandbox.url}/pay/`)) throw new Error(`POST /recharge/card: ${started.status} ${started.location ?? ''}`)
      const orderId = started.location.split('/').pop()!
      const fate = k % options.declineEvery === options.declineEvery - 1 ? 'declined' : 'paid'
      f.orders.set(orderId, { attemptId: sandbox.orders.get(orderId)!.reference, fate })
      // The provider's page: its POST sends the webhook before redirecting back.
      const back = await fetch(started.location, { method: 'POST', body: new URLSearchParams({ action: fate === 'paid' ? 'pay' : 'decline' }), redirect: 'manual' })
      f.webhooksSent++
      const returnPath = new URL(back.headers.get('location') ?? '/').pathname
      await exchange(agent, live(fleet), address, 'GET', `${returnPath}?lang=en`).catch(() => undefined) // only a status check
      return orderId
    } finally {
      agent.destroy()
    }
  }

  async function webhook(orderId: string, kind: number): Promise<void> {
    const order = sandbox.orders.get(orderId)!
    f.webhooksSent++
    f.duplicates++
    try {
      if (kind === 0) return answered(await sandbox.notify(orderId)) // the provider re-sending to the instance that made the order
      const slot = fleet.pick()
      if (slot === undefined) return answered('no-instance')
      // Same body as the provider's; kind 2 claims a stale status, signed all the same.
      const status = kind === 2 ? 'pending' : order.status
      const body = JSON.stringify({ event: `order.${status}`, order_id: order.orderId, merchant_id: order.merchantId, amount: order.amount, currency: order.currency, reference: order.reference, status })
      const ts = Math.floor(Date.now() / 1000) - Math.floor(Math.random() * 200)
      const res = await fetch(`http://127.0.0.1:${slot.port}/webhooks/psp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-psp-timestamp': String(ts), 'x-psp-signature': sandbox.sign(body, ts) },
        body,
        signal: AbortSignal.timeout(30_000),
      })
      await res.arrayBuffer()
      answered(res.status)
    } catch {
      answered('no-answer')
    }
  }

  f.started = await paced(options.ratePerS, 16, options.durationMs, options.lines, async (k) => {
    try {
      const orderId = await withRetries(() => pay(k), (e) => (f.retries++, note(e)))
      for (let d = 0; d < options.extraWebhooks; d++) {
        bursts.push(pause(Math.random() * options.burstMs).then(() => webhook(orderId, d % 3)))
      }
    } catch (err) {
      f.failed++
      note(err as Error)
    }
  })
  await Promise.all(bursts)
  return f
}
