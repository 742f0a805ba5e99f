// HTTP load from many loopback source addresses, as phones behind a NAS would arrive: each source
// opens one keep-alive connection (bound to its own 127.x.y.z with localAddress; Linux routes all
// of 127/8 to lo without configuration), sends a few GETs on it, and closes it. A bounded number of
// sources is in flight at once; every request's latency is taken client-side, from
// http.request() to the end of the response body, and every answer is checked.
import { Agent, request } from 'node:http'

/** What an answer must be; returns a description of the mismatch, or null when it is right. */
export type Check = (source: string, status: number, body: unknown) => string | null

/** One load run. */
export interface LoadOptions {
  port: number
  path: string
  /** Source addresses, one connection each. */
  sources: readonly string[]
  perConnection: number
  concurrency: number
  /** No new connection is started after this many ms. */
  timeLimitMs: number
  check: Check
}

/** What one run measured. */
export interface LoadResult {
  /** Every request's latency (ms). */
  latencies: number[]
  /** The same, split by whether the request opened its connection or reused it. */
  firstOnConnection: number[]
  reused: number[]
  wallMs: number
  mismatches: number
  errors: number
  examples: string[]
  /** Sources not reached before the time limit. */
  skipped: number
}

function get(agent: Agent, port: number, path: string, localAddress: string): Promise<{ status: number; text: string; reused: boolean }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, agent, localAddress, headers: { accept: 'application/json' } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => ok({ status: res.statusCode ?? 0, text, reused: req.reusedSocket }))
      res.on('error', fail)
    })
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')))
    req.on('error', fail)
    req.end()
  })
}

/** Drive the load; resolves when every started connection is done. */
export async function drive(options: LoadOptions): Promise<LoadResult> {
  const result: LoadResult = { latencies: [], firstOnConnection: [], reused: [], wallMs: 0, mismatches: 0, errors: 0, examples: [], skipped: 0 }
  const note = (what: string) => {
    if (result.examples.length < 5) result.examples.push(what)
  }
  let next = 0
  const start = performance.now()
  const deadline = start + options.timeLimitMs

  async function worker(): Promise<void> {
    while (next < options.sources.length && performance.now() < deadline) {
      const source = options.sources[next++]!
      const agent = new Agent({ keepAlive: true, maxSockets: 1 })
      try {
        for (let k = 0; k < options.perConnection; k++) {
          const t0 = performance.now()
          let answer
          try {
            answer = await get(agent, options.port, options.path, source)
          } catch (err) {
            result.errors++
            note(`${source}: ${(err as Error).message}`)
            continue
          }
          const ms = performance.now() - t0
          result.latencies.push(ms)
          ;(answer.reused ? result.reused : result.firstOnConnection).push(ms)
          let body: unknown
          try {
            body = JSON.parse(answer.text)
          } catch {
            body = answer.text
          }
          const problem = options.check(source, answer.status, body)
          if (problem !== null) {
            result.mismatches++
            note(`${source}: ${problem}`)
          }
        }
      } finally {
        agent.destroy()
      }
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, worker))
  result.wallMs = performance.now() - start
  result.skipped = options.sources.length - Math.min(next, options.sources.length)
  return result
}

/** Concatenate several runs (interleaved rounds of the same series). */
export function merge(results: readonly LoadResult[]): LoadResult {
  const merged: LoadResult = { latencies: [], firstOnConnection: [], reused: [], wallMs: 0, mismatches: 0, errors: 0, examples: [], skipped: 0 }
  for (const r of results) {
    merged.latencies.push(...r.latencies)
    merged.firstOnConnection.push(...r.firstOnConnection)
    merged.reused.push(...r.reused)
    merged.wallMs += r.wallMs
    merged.mismatches += r.mismatches
    merged.errors += r.errors
    merged.skipped += r.skipped
    merged.examples.push(...r.examples.slice(0, 5 - merged.examples.length))
  }
  return merged
}

/** /api/v1/identify must name `expected` (by source address) or, when it has none, say no_session. */
export function identifyCheck(expected: ReadonlyMap<string, string>): Check {
  return (source, status, body) => {
    const b = body as Record<string, unknown>
    if (status !== 200) return `status ${status}`
    if (b.address !== source || b.realm !== 'default') return `answered for ${String(b.address)}/${String(b.realm)}`
    const line = expected.get(source)
    if (line === undefined) return b.identified === false && b.reason === 'no_session' ? null : `expected no_session, got ${JSON.stringify(body)}`
    if (b.identified !== true || b.how !== 'address') return `not identified by address: ${JSON.stringify(body)}`
    return b.line === line ? null : `line ${String(b.line)}, expected ${line}`
  }
}

/** /readyz must be 200 and ready (one `select 1` through the gateway's pool behind it). */
export const readyCheck: Check = (_source, status, body) =>
  status === 200 && (body as Record<string, unknown>).status === 'ready' ? null : `status ${status} ${JSON.stringify(body)}`
