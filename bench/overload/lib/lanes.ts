// HTTP load in "lanes": each lane is one keep-alive connection from one subscriber's loopback
// address that, after a few requests, hangs up and comes back from the next subscriber's address (a
// phone's browser does about that; it also keeps every address far below /portal's 60/min limit).
// Two ways to drive them:
//  * closed: every lane sends its next request as soon as the last one is answered (finds the
//    saturating rate: the server is never idle, the client never waits);
//  * open: requests are due at a fixed rate whatever the server does, queue at the client while
//    every lane is busy, and each latency is counted from the moment the request was due — so a
//    server that falls behind cannot hide its queue (no coordinated omission).
// Every answer is sorted: 200 (checked: that subscriber's masked line), 503 with Retry-After (shed),
// anything else (wrong).
import { Agent, request } from 'node:http'
import type { Subscriber } from '../../identify/lib/sessions.ts'

/** What one phase measured. */
export interface PhaseResult {
  /** Latency (ms) of every admitted (200) answer, from due time to last byte. */
  admitted: number[]
  /** Latency of every shed (503) answer. */
  shed: number[]
  /** Answers that were neither a right 200 nor a 503 with Retry-After, and transport errors. */
  wrong: number
  examples: string[]
  /** Open loop: requests still queued at the client when the phase ended (never sent). */
  unsent: number
  wallMs: number
}

/** One phase of load. */
export interface PhaseOptions {
  port: number
  path: string
  subscribers: readonly Subscriber[]
  lanes: number
  /** Requests per connection before the lane moves on to the next subscriber. */
  perConnection: number
  durationMs: number
  /** Requests per second (open loop); undefined for closed loop. */
  rate?: number
}

let nextSubscriber = 0

function get(agent: Agent, port: number, path: string, localAddress: string): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, agent, localAddress, headers: { accept: 'text/html', 'accept-language': 'zh-CN' } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => ok({ status: res.statusCode ?? 0, text, retryAfter: res.headers['retry-after'] }))
      res.on('error', fail)
    })
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')))
    req.on('error', fail)
    req.end()
  })
}

/** Run one phase; resolves once every request sent in it is answered. */
export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  const result: PhaseResult = { admitted: [], shed: [], wrong: 0, examples: [], unsent: 0, wallMs: 0 }
  const note = (what: string) => {
    if (result.examples.length < 5) result.examples.push(what)
  }
  const start = performance.now()
  const end = start + options.durationMs
  // Open loop: due times of requests no lane has taken yet.
  const due: number[] = []
  let scheduled = 0
  let wake: (() => void)[] = []
  let ticker: NodeJS.Timeout | undefined
  if (options.rate !== undefined) {
    const rate = options.rate
    ticker = setInterval(() => {
      const now = Math.min(performance.now(), end)
      const owed = Math.floor(((now - start) * rate) / 1000)
      for (; scheduled < owed; scheduled++) due.push(start + (scheduled * 1000) / rate)
      for (const w of wake.splice(0)) w()
    }, 1)
  }

  /** The due time of this lane's next request, or undefined when the phase is over. */
  async function nextDue(): Promise<number | undefined> {
    if (options.rate === undefined) return performance.now() < end ? performance.now() : undefined
    for (;;) {
      const at = due.shift()
      if (at !== undefined) return at
      if (performance.now() >= end) return undefined
      await new Promise<void>((resolve) => wake.push(resolve))
    }
  }

  async function lane(): Promise<void> {
    for (;;) {
      const who = options.subscribers[nextSubscriber++ % options.subscribers.length]!
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      try {
        for (let k = 0; k < options.perConnection; k++) {
          const at = await nextDue()
          if (at === undefined) return
          try {
            const answer = await get(agent, options.port, options.path, who.address)
            const ms = performance.now() - at
            if (answer.status === 200 && answer.text.includes(who.line)) result.admitted.push(ms)
            else if (answer.status === 503 && answer.retryAfter !== undefined) result.shed.push(ms)
            else {
              result.wrong++
              note(`${who.address}: status ${answer.status}${answer.status === 200 ? `, no ${who.line} in the page` : ''}`)
            }
          } catch (err) {
            result.wrong++
            note(`${who.address}: ${(err as Error).message}`)
            break
          }
        }
      } finally {
        agent.destroy()
      }
    }
  }

  await Promise.all(Array.from({ length: options.lanes }, lane))
  clearInterval(ticker)
  for (const w of wake.splice(0)) w()
  result.unsent = due.length
  result.wallMs = performance.now() - start
  return result
}
