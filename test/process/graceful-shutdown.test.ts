// SIGTERM to a real gateway process in the middle of a bounded HTTP load, with lift jobs in
// flight (hanging on a NAS that does not answer): every request it admitted is answered — the
// rest are refused cleanly (503 while closing, or the connection refused once it stopped
// listening) — it exits 0 within 10 s, and the jobs it held are released at once, so the other
// instance lifts them long before their 60 s lease would have run out.
// The clients reach it as through a load balancer: a health check polls /readyz every 100 ms and
// no new connection is opened once it says 503 (connections already open go on being used), and
// the gateway drains for SHUTDOWN_DRAIN_MS before it closes. Without a balancer nothing can stop
// clients from connecting up to the last moment, and the kernel resets the connections still in
// the backlog of a listener that closes — requests the gateway never admitted.
// Server mode only: the jobs table is read from outside, and a second instance shares the database.
import type { Socket } from 'node:dgram'
import { Agent, request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Keys } from '../../src/config/keys.ts'
import { findAttempt } from '../../src/db/attempts.ts'
import { type CountingNas, startCountingNas } from '../helpers/counting-nas.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { accountingPacket, addLoopbackNas, addSuspendedLine, addVouchers, nasSocket, payVoucher, sharedSecret } from '../helpers/gateway-fixtures.ts'
import { waitFor } from '../helpers/process.ts'
import { freePort as freeUdpPort, sendAndCollect } from '../radius/helpers/udp.ts'
import { attemptIdOf, type Gateway, killAll, startGateway } from '../recharge/helpers/gateway-process.ts'

const SECRET = 'shutdown-secret'
const serverMode = (process.env.DATABASE_URL ?? '') !== ''
if (!serverMode) console.warn('[skipped] graceful-shutdown: needs DATABASE_URL (a second instance and the jobs table read from outside)')

type Outcome = 'ok' | 'refused' | 'failed'

/** One GET on `agent` from `localAddress`: ok (200), refused (503 while closing, or connection refused), failed (anything else). */
function get(agent: Agent, port: number, path: string, localAddress: string): Promise<{ outcome: Outcome; detail: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent, localAddress }, (res) => {
      res.resume()
      res.on('end', () => {
        const status = res.statusCode ?? 0
        resolve({ outcome: status === 200 ? 'ok' : status === 503 ? 'refused' : 'failed', detail: `${status} ${path}` })
      })
      res.on('error', (err) => resolve({ outcome: 'failed', detail: `${path}: body cut: ${err.message}` }))
    })
    req.setTimeout(15_000, () => req.destroy(new Error('no answer in 15 s')))
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A reused keep-alive connection the server closed as idle just as this request went out:
      // the request was never read (RFC 9112 §9.3.1 lets the client retry it; Node's docs say so).
      if (req.reusedSocket && err.code === 'ECONNRESET') return resolve({ outcome: 'refused', detail: 'idle keep-alive closed' })
      resolve({ outcome: err.code === 'ECONNREFUSED' ? 'refused' : 'failed', detail: `${path}: ${err.code ?? err.message}` })
    })
    req.end()
  })
}

describe.skipIf(!serverMode)('SIGTERM under load', { timeout: 120_000 }, () => {
  let t: TestDatabase
  let silent: CountingNas
  let acking: CountingNas
  let udp: Socket
  let keys: Keys
  let appSecret: string
  let nasId: number
  const db = () => t.handle.db

  beforeAll(async () => {
    t = await createTestDatabase()
    silent = await startCountingNas(SECRET, false)
    acking = await startCountingNas(SECRET, true)
    udp = await nasSocket()
    nasId = await addLoopbackNas(db(), 'pgw-shutdown', SECRET, silent.port)
    ;({ appSecret, keys } = sharedSecret())
  })
  afterAll(async () => {
    await killAll()
    udp?.close()
    await silent?.close()
    await acking?.close()
    await t?.destroy()
  })

  it('answers every admitted request, exits 0 within 10 s, and releases its jobs to the other instance', async () => {
    const env = (radiusPort: number) => ({ DATABASE_URL: t.url!, APP_SECRET: appSecret, NAS_REFRESH_MS: '200', JOB_LEASE_MS: '60000', SHUTDOWN_DRAIN_MS: '1500', RADIUS_ACCT_PORT: String(radiusPort) })
    const firstRadius = await freeUdpPort()
    const first = await startGateway(env(firstRadius))

    // Three recharges whose lifts hang on the silent NAS: jobs in flight on the first instance.
    const cards = await addVouchers(db(), keys, 'SIG', 3)
    const ids: string[] = []
    for (const [i, card] of cards.entries()) {
      const line = { session: `sig-${i}`, msisdn: `8613977700${i}01`, address: `127.79.0.${i + 1}` }
      await addSuspendedLine(db(), line.msisdn)
      expect(await sendAndCollect(udp, firstRadius, accountingPacket(SECRET, i + 1, line), 5000)).toHaveLength(1)
      ids.push(attemptIdOf(await payVoucher(first.port, keys, line.address, card)))
    }
    await waitFor(() => silent.requests() >= 3, 15_000, 'three lifts waiting on the silent NAS')
    const held = await db().selectFrom('jobs').select(['lockedBy']).where('kind', '=', 'lift').where('doneAt', 'is', null).execute()
    expect(held).toHaveLength(3)
    const firstWorker = held[0]!.lockedBy!
    expect(held.every((j) => j.lockedBy === firstWorker)).toBe(true)

    // The other instance is up, and the NAS now answers on another port (the hung CoAs keep going to the old one).
    const second = await startGateway(env(await freeUdpPort()))
    await db().updateTable('nasClients').set({ coaPort: acking.port }).where('id', '=', nasId).execute()

    // Bounded load on the first instance: 12 clients, keep-alive, identify and portal, ≤ 10 s.
    const outcomes: { outcome: Outcome; detail: string; at: number }[] = []
    let signalledAt = 0
    let exitedAt = 0
    void first.run.exited.then(() => (exitedAt = Date.now()))
    const loadEnd = Date.now() + 10_000
    let routable = true
    const healthCheck = (async () => {
      const probe = new Agent({ keepAlive: true, maxSockets: 1 })
      while (routable && Date.now() < loadEnd) {
        const answer = await get(probe, first.port, '/readyz', '127.0.0.1')
        if (answer.outcome !== 'ok') routable = false
        else await new Promise((r) => setTimeout(r, 100))
      }
      probe.destroy()
    })()
    const clients = Array.from({ length: 12 }, async (_, c) => {
      for (let k = 0; routable && Date.now() < loadEnd; k++) {
        const address = `127.79.${10 + c}.${1 + (k % 50)}` // 50 addresses each: far below /portal's 60 a minute
        const agent = new Agent({ keepAlive: true, maxSockets: 1 })
        // A connection once opened is used for its three requests, routable or not.
        for (const path of ['/api/v1/identify', '/portal?lang=en', '/api/v1/identify']) outcomes.push({ ...(await get(agent, first.port, path, address)), at: Date.now() })
        agent.destroy()
      }
    })
    await waitFor(() => outcomes.filter((o) => o.outcome === 'ok').length >= 100, 20_000, 'the load to be under way')
    signalledAt = Date.now()
    first.run.child.kill('SIGTERM')
    expect(await first.run.exited).toBe(0)
    expect(exitedAt - signalledAt).toBeLessThan(10_000)
    await Promise.all([...clients, healthCheck])

    const failed = outcomes.filter((o) => o.outcome === 'failed')
    expect(failed.map((o) => `${o.detail} at +${o.at - signalledAt} ms`)).toEqual([])
    expect(outcomes.filter((o) => o.outcome === 'ok' && o.at > signalledAt).length + outcomes.filter((o) => o.outcome === 'refused').length).toBeGreaterThan(0)
    expect(first.run.stdout()).toContain('"msg":"stopped"')

    // Released, not left to expire: no job still held by the stopped worker, and the other instance lifts all three now.
    const after = await db().selectFrom('jobs').select(['lockedBy']).where('kind', '=', 'lift').execute()
    expect(after.filter((j) => j.lockedBy === firstWorker)).toEqual([])
    await waitFor(async () => {
      const states = await Promise.all(ids.map(async (id) => (await findAttempt(db(), id))!.state))
      return states.every((s) => s === 'lifted')
    }, 20_000, 'the other instance to lift the released jobs')
    expect(Date.now() - exitedAt).toBeLessThan(30_000) // well inside the 60 s lease
    expect(acking.requests()).toBe(3)
    await second.kill()
  })
})
