// The real gateway process (`node src/main.ts`) for crash tests: start it in server mode, wait
// until it serves, kill -9 it, and talk to it over loopback HTTP from a chosen 127.0.0.x source
// address — so identification by socket address works for many lines on one machine.
import { request } from 'node:http'
import { freePort, runNode, type Running, waitFor } from '../../helpers/process.ts'

/** A started gateway. */
export interface Gateway {
  readonly run: Running
  readonly port: number
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>
}

/** Every gateway started through this module (for afterAll). */
export const started = new Set<Gateway>()

/** Start `node src/main.ts` with `env` and wait until it listens (at most 30 s). */
export async function startGateway(env: Record<string, string>): Promise<Gateway> {
  const port = await freePort()
  // Load shedding off unless a test asks: these tests are about money and crashes, and a gateway
  // starved of CPU by the rest of the suite would otherwise answer some requests 503 (correctly).
  const noShedding = { LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0', LOAD_SHED_MAX_IN_FLIGHT: '0' }
  const run = runNode('src/main.ts', [], { HOST: '127.0.0.1', RADIUS_HOST: '127.0.0.1', RADIUS_ACCT_PORT: '0', LOG_LEVEL: 'info', ...noShedding, ...env, PORT: String(port) })
  let exited: number | string | undefined
  void run.exited.then((code) => (exited = code))
  const gateway: Gateway = {
    run,
    port,
    async kill() {
      if (exited === undefined) run.child.kill('SIGKILL')
      await run.exited
      started.delete(gateway)
    },
  }
  started.add(gateway)
  try {
    await waitFor(() => exited !== undefined || run.stdout().includes('Server listening'), 30_000, 'the gateway to listen')
  } catch (err) {
    await gateway.kill()
    throw err
  }
  if (exited !== undefined) throw new Error(`the gateway exited (${exited}) before listening:\n${run.stderr()}\n${run.stdout().slice(-3000)}`)
  return gateway
}

/** Kill every gateway still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...started].map((g) => g.kill()))
}

/** An HTTP answer. */
export interface Answer {
  status: number
  location: string | undefined
  body: string
}

/** One HTTP request to the gateway from `localAddress` (a 127.0.0.x address), no keep-alive. */
export function httpFrom(port: number, localAddress: string, method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Answer> {
  const body = form === undefined ? undefined : new URLSearchParams(form).toString()
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        localAddress,
        agent: false,
        headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** The attempt id in a `/recharge/<id>` redirect. */
export function attemptIdOf(answer: Answer): string {
  const id = /\/recharge\/([\w-]{22})/.exec(answer.location ?? '')?.[1]
  if (id === undefined) throw new Error(`no attempt in the answer: ${answer.status} ${answer.location ?? ''} ${answer.body.slice(0, 300)}`)
  return id
}
