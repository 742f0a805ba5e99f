// The subscribers: each line, from its own loopback source address (http.request localAddress,
// Linux routes all of 127/8 to lo), opens one keep-alive connection, GETs /portal for the
// anti-forgery token (bound to that address), POSTs its voucher to /recharge/voucher on the same
// connection and closes it — a phone in the captive mini-browser. Either closed-loop (a fixed
// number of subscribers in flight) or paced (a new subscriber every 1/rate s, open-loop).
// The /healthz baseline uses the very same pattern (two GETs per connection).
import { Agent, request } from 'node:http'

/** One HTTP exchange. */
export interface Answer {
  status: number
  location: string | undefined
  text: string
}

export function exchange(agent: Agent, port: number, localAddress: string, method: 'GET' | 'POST', path: string, body?: string): Promise<Answer> {
  return new Promise((ok, fail) => {
    const headers: Record<string, string> = { accept: 'text/html', 'accept-language': 'en' }
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers['content-length'] = String(Buffer.byteLength(body))
    }
    const req = request({ host: '127.0.0.1', port, method, path, agent, localAddress, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => ok({ status: res.statusCode ?? 0, location: res.headers.location, text }))
      res.on('error', fail)
    })
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')))
    req.on('error', fail)
    req.end(body)
  })
}

/** A subscriber's voucher and address. */
export interface Subscriber {
  index: number
  address: string
  serial: string
  pin: string
}

/** What happened to one subscriber's recharge, client-side. */
export interface Submitted {
  index: number
  attemptId: string
  /** Wall clock (ms since epoch) just before the POST was written. */
  postAtMs: number
  portalMs: number
  postMs: number
}

/** What one drive measured. */
export interface DriveResult {
  submitted: Submitted[]
  errors: number
  examples: string[]
  wallMs: number
  /** Subscribers not started before the time limit. */
  skipped: number
  /** Paced mode: starts that ran more than 100 ms behind schedule (the in-flight cap was reached). */
  late: number
}

const FT = /name="ft"\s+value="([^"]+)"/

/** One subscriber's voucher recharge on `port`: GET /portal, POST the voucher; throws unless answered 303 to its attempt. */
export async function recharge(port: number, s: Subscriber): Promise<Submitted> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    const t0 = performance.now()
    const page = await exchange(agent, port, s.address, 'GET', '/portal?lang=en')
    const portalMs = performance.now() - t0
    const ft = FT.exec(page.text)?.[1]
    if (page.status !== 200 || ft === undefined) throw new Error(`GET /portal: ${page.status}${ft === undefined ? ', no ft in the page' : ''}`)
    const body = new URLSearchParams({ ft, serial: s.serial, pin: s.pin, lang: 'en' }).toString()
    const postAtMs = Date.now()
    const t1 = performance.now()
    const answer = await exchange(agent, port, s.address, 'POST', '/recharge/voucher', body)
    const postMs = performance.now() - t1
    const attemptId = /^\/recharge\/([A-Za-z0-9_-]{22})/.exec(answer.location ?? '')?.[1]
    if (answer.status !== 303 || attemptId === undefined) throw new Error(`POST /recharge/voucher: ${answer.status} ${answer.text.slice(0, 120).replace(/\s+/g, ' ')}`)
    return { index: s.index, attemptId, postAtMs, portalMs, postMs }
  } finally {
    agent.destroy()
  }
}

/** Hooks the caller gets per subscriber (to start watching its attempt). */
export type OnSubmitted = (s: Submitted) => void

/** Closed loop: `concurrency` subscribers in flight until all are done or `timeLimitMs` passed. Each goes to ports[index % ports.length]. */
export async function driveClosed(ports: number[], subscribers: Subscriber[], concurrency: number, timeLimitMs: number, onSubmitted: OnSubmitted): Promise<DriveResult> {
  const result: DriveResult = { submitted: [], errors: 0, examples: [], wallMs: 0, skipped: 0, late: 0 }
  let next = 0
  const start = performance.now()
  const deadline = start + timeLimitMs
  async function lane(): Promise<void> {
    while (next < subscribers.length && performance.now() < deadline) {
      const s = subscribers[next++]!
      await recharge(ports[s.index % ports.length]!, s).then(
        (done) => {
          result.submitted.push(done)
          onSubmitted(done)
        },
        (err: unknown) => {
          result.errors++
          if (result.examples.length < 5) result.examples.push(`${s.address}: ${(err as Error).message}`)
        },
      )
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => lane()))
  result.wallMs = performance.now() - start
  result.skipped = subscribers.length - next
  return result
}

/** Open loop: subscriber k starts at k/rate s (at most `maxInFlight` at once), until all started or `timeLimitMs` passed. */
export async function drivePaced(ports: number[], subscribers: Subscriber[], ratePerS: number, maxInFlight: number, timeLimitMs: number, onSubmitted: OnSubmitted): Promise<DriveResult> {
  const result: DriveResult = { submitted: [], errors: 0, examples: [], wallMs: 0, skipped: 0, late: 0 }
  const start = performance.now()
  const running = new Set<Promise<void>>()
  let k = 0
  for (; k < subscribers.length; k++) {
    const due = start + (k * 1000) / ratePerS
    if (due - start > timeLimitMs) break
    const wait = due - performance.now()
    if (wait > 0) await new Promise((ok) => setTimeout(ok, wait))
    while (running.size >= maxInFlight) await Promise.race(running)
    if (performance.now() - due > 100) result.late++
    const s = subscribers[k]!
    const p: Promise<void> = recharge(ports[s.index % ports.length]!, s).then(
      (done) => {
        result.submitted.push(done)
        onSubmitted(done)
      },
      (err: unknown) => {
        result.errors++
        if (result.examples.length < 5) result.examples.push(`${s.address}: ${(err as Error).message}`)
      },
    )
    const tracked = p.finally(() => running.delete(tracked))
    running.add(tracked)
  }
  await Promise.all(running)
  result.wallMs = performance.now() - start
  result.skipped = subscribers.length - k
  return result
}

/** What the /healthz baseline measured. */
export interface BaselineResult {
  connections: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  errors: number
}

/** The same client pattern against GET /healthz: per source, one connection, two GETs, closed. */
export async function driveHealthz(port: number, sources: string[], concurrency: number, timeLimitMs: number): Promise<{ wallMs: number; latencies: number[]; connections: number; errors: number }> {
  const latencies: number[] = []
  let next = 0
  let errors = 0
  let connections = 0
  const start = performance.now()
  const deadline = start + timeLimitMs
  async function lane(): Promise<void> {
    while (next < sources.length && performance.now() < deadline) {
      const address = sources[next++]!
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      try {
        for (let r = 0; r < 2; r++) {
          const t0 = performance.now()
          const answer = await exchange(agent, port, address, 'GET', '/healthz')
          if (answer.status !== 200) throw new Error(`GET /healthz: ${answer.status}`)
          latencies.push(performance.now() - t0)
        }
        connections++
      } catch {
        errors++
      } finally {
        agent.destroy()
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => lane()))
  return { wallMs: performance.now() - start, latencies, connections, errors }
}
