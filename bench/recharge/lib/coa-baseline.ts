// The bare CoA round trip against the same FreeRADIUS: our own RFC 5176 client
// (src/radius/dynamic-authorization-client.ts, the one the lift job uses) sends CoA-Requests with
// the attributes the lift job sends (Acct-Session-Id, Calling-Station-Id, Framed-IP-Address),
// `concurrency` in flight, until `count` are answered or `timeLimitMs` passes.
import { createDynamicAuthorizationClient } from '../../../src/radius/dynamic-authorization-client.ts'
import { percentile } from './stats.ts'

/** What one CoA series measured. */
export interface CoaSeries {
  concurrency: number
  sent: number
  acked: number
  other: number
  wallMs: number
  perSecond: number
  p50Ms: number
  p99Ms: number
}

/** Run one series of CoA round trips to 127.0.0.1:`port`. */
export async function coaSeries(port: number, secret: string, concurrency: number, count: number, timeLimitMs: number): Promise<CoaSeries> {
  const client = await createDynamicAuthorizationClient({ bindHost: '127.0.0.1' })
  const latencies: number[] = []
  let next = 0
  let acked = 0
  let other = 0
  const start = performance.now()
  const deadline = start + timeLimitMs
  async function lane(): Promise<void> {
    while (next < count && performance.now() < deadline) {
      const i = next++
      const t0 = performance.now()
      const exchange = await client.send({
        kind: 'coa',
        host: '127.0.0.1',
        port,
        secret: Buffer.from(secret),
        attributes: [
          { name: 'Acct-Session-Id', value: `baseline-${i}` },
          { name: 'Calling-Station-Id', value: `86150${String(i).padStart(8, '0')}` },
          { name: 'Framed-IP-Address', value: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
        ],
      })
      latencies.push(performance.now() - t0)
      if (exchange.outcome.kind === 'ack') acked++
      else other++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, () => lane()))
  const wallMs = performance.now() - start
  await client.close()
  return { concurrency, sent: next, acked, other, wallMs, perSecond: acked / (wallMs / 1000), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) }
}
