// A fake OCS (the carrier's online charging system lies outside the gateway) speaking the REST
// contract of src/adapters/billing/http-ocs.ts, with knobs to lose answers: it can apply a
// credit and then answer too late (the gateway times out: unknown outcome), or fail before
// applying it.
import { createServer, type Server } from 'node:http'

/** An account at the fake OCS. */
export interface FakeAccount {
  balanceMinor: number
  currency: string
  status: 'active' | 'suspended'
  suspensionReason: string | null
  restoreThresholdMinor: number
}

/** A running fake OCS. */
export interface FakeOcs {
  url: string
  token: string
  accounts: Map<string, FakeAccount>
  /** Applied credits by idempotency key. */
  credits: Map<string, { msisdn: string; amountMinor: number; creditId: string }>
  /** How many credit POSTs arrived (including refused and replayed ones). */
  creditRequests: () => number
  /** The next `n` credit POSTs: 'late' = apply, then answer after `lateMs`; 'fail' = answer 500 without applying; 'reject' = 422. */
  plan: (mode: 'late' | 'fail' | 'reject', n: number) => void
  close(): Promise<void>
}

/** Start the fake on 127.0.0.1. */
export async function startFakeOcs(lateMs = 1500): Promise<FakeOcs> {
  const token = 'ocs-test-token'
  const accounts = new Map<string, FakeAccount>()
  const credits = new Map<string, { msisdn: string; amountMinor: number; creditId: string }>()
  const queue: ('late' | 'fail' | 'reject')[] = []
  let requests = 0
  const view = (msisdn: string, a: FakeAccount) => ({ msisdn, balance_minor: a.balanceMinor, currency: a.currency, status: a.status, suspension_reason: a.suspensionReason, restore_threshold_minor: a.restoreThresholdMinor })

  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(payload))
      }
      if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: 'unauthorised' })
      const url = new URL(req.url ?? '/', 'http://ocs')
      const account = /^\/accounts\/(\d+)$/.exec(url.pathname)
      const credit = /^\/accounts\/(\d+)\/credits$/.exec(url.pathname)
      const lookup = /^\/credits\/(.+)$/.exec(url.pathname)
      if (req.method === 'GET' && account) {
        const a = accounts.get(account[1]!)
        return a ? send(200, view(account[1]!, a)) : send(404, { error: 'no such account' })
      }
      if (req.method === 'GET' && lookup) {
        const c = credits.get(decodeURIComponent(lookup[1]!))
        if (!c) return send(404, { error: 'no such credit' })
        const a = accounts.get(c.msisdn)!
        return send(200, { credit_id: c.creditId, balance_minor: a.balanceMinor, status: a.status })
      }
      if (req.method === 'POST' && credit) {
        requests++
        const mode = queue.shift()
        if (mode === 'fail') return send(500, { error: 'temporarily unavailable' })
        if (mode === 'reject') return send(422, { error: 'account closed' })
        const msisdn = credit[1]!
        const a = accounts.get(msisdn)
        const input = JSON.parse(body) as { amount_minor: number; currency: string; idempotency_key: string }
        if (!a) return send(404, { error: 'no such account' })
        if (!credits.has(input.idempotency_key)) {
          credits.set(input.idempotency_key, { msisdn, amountMinor: input.amount_minor, creditId: `cr-${credits.size + 1}` })
          a.balanceMinor += input.amount_minor
          if (a.status === 'suspended' && a.suspensionReason === 'arrears' && a.balanceMinor >= a.restoreThresholdMinor) {
            a.status = 'active'
            a.suspensionReason = null
          }
        }
        const c = credits.get(input.idempotency_key)!
        const answer = () => send(200, { credit_id: c.creditId, balance_minor: a.balanceMinor, status: a.status })
        if (mode === 'late') setTimeout(answer, lateMs)
        else answer()
        return
      }
      send(404, { error: 'not found' })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    accounts,
    credits,
    creditRequests: () => requests,
    plan: (mode, n) => {
      for (let i = 0; i < n; i++) queue.push(mode)
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}
