// Everything this benchmark starts, and how it is stopped again: the throwaway PostgreSQL cluster
// (shared/peers/lib/pg-throwaway.sh) and the gateway in server mode. Every start registers its
// stop first; stopAll() runs them in reverse, also from SIGINT/SIGTERM and, synchronously, at exit.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (bench/identify/lib → ../../..). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** shared/ next to the repository (CI: a fresh clone with shared/ at ../shared), else /work/shared. */
export function sharedDir(): string {
  const candidates = [process.env.SHARED_DIR, resolve(REPO, '../shared'), '/work/shared'].filter((d): d is string => !!d)
  const found = candidates.find((d) => existsSync(resolve(d, 'peers/lib/pg-throwaway.sh')))
  if (found === undefined) throw new Error(`no shared/peers/lib/pg-throwaway.sh in ${candidates.join(' or ')}`)
  return found
}

interface Stopper {
  name: string
  /** Graceful, may wait. */
  stop(): Promise<void>
  /** Last resort at process exit: must not wait. */
  stopNow(): void
}

const stoppers: Stopper[] = []

function register(stopper: Stopper): () => void {
  stoppers.push(stopper)
  return () => {
    const at = stoppers.indexOf(stopper)
    if (at >= 0) stoppers.splice(at, 1)
  }
}

/** Stop everything still running, newest first. */
export async function stopAll(): Promise<void> {
  while (stoppers.length > 0) {
    const stopper = stoppers.pop()!
    await stopper.stop().catch((err: unknown) => process.stderr.write(`cleanup: ${stopper.name}: ${(err as Error).message}\n`))
  }
}

let interrupted = false
/** Install the SIGINT/SIGTERM/exit handlers once. */
export function installCleanupHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return
      interrupted = true
      process.stderr.write(`\n${signal}: stopping everything this benchmark started\n`)
      void stopAll().finally(() => process.exit(130))
    })
  }
  process.on('exit', () => {
    for (const stopper of stoppers.splice(0).reverse()) {
      try {
        stopper.stopNow()
      } catch {}
    }
  })
}

/** A free loopback TCP port (asked from the kernel, then released). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((ok) => server.close(() => ok()))
  return port
}

/** A free loopback UDP port. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>((ok, fail) => socket.once('error', fail).bind(0, '127.0.0.1', ok))
  const port = socket.address().port
  await new Promise<void>((ok) => socket.close(() => ok()))
  return port
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', fail)
    child.once('close', (code) => ok({ code: code ?? 1, stdout, stderr }))
  })
}

/** Start a throwaway PostgreSQL 15 (fsync on, unix socket only); returns its URL. */
export async function startPostgres(db: string): Promise<string> {
  const script = resolve(sharedDir(), 'peers/lib/pg-throwaway.sh')
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 20000)
    const result = await run('bash', [script, 'start', String(port), db])
    const url = result.stdout.trim().split('\n').pop() ?? ''
    if (result.code === 0 && url.startsWith('postgresql://')) {
      const stopNow = () => void spawnSync('bash', [script, 'stop', url], { stdio: 'ignore' })
      register({ name: 'postgres', stop: async () => stopNow(), stopNow })
      return url
    }
    if (!/looks taken/.test(result.stderr)) throw new Error(`pg-throwaway.sh start failed:\n${result.stderr}`)
  }
  throw new Error('no free port for PostgreSQL after 5 tries')
}

/** Run `node src/cli.ts migrate` against `url`. */
export async function migrate(url: string): Promise<string> {
  const result = await run(process.execPath, ['src/cli.ts', 'migrate'], { ...process.env, DATABASE_URL: url })
  if (result.code !== 0) throw new Error(`migrate failed (${result.code}):\n${result.stdout}${result.stderr}`)
  return result.stdout.trim()
}

/** A running gateway process. */
export interface Gateway {
  pid: number
  port: number
  radiusPort: number
  /** VmRSS and VmHWM (peak) in kB, from /proc/<pid>/status. */
  memory(): { rssKb: number; hwmKb: number }
  stop(): Promise<void>
}

/** Gateway settings that turn load shedding off: the capacity benchmarks measure what the gateway can do, bench:overload measures the shedding. */
export const SHEDDING_OFF: Readonly<Record<string, string>> = { LOAD_SHED_MAX_IN_FLIGHT: '0', LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0', LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION: '0' }

/** Start `node src/main.ts` in server mode on loopback and wait until /readyz says 200. */
export async function startGateway(url: string, extraEnv: Readonly<Record<string, string>> = {}): Promise<Gateway> {
  const port = await freeTcpPort()
  const radiusPort = await freeUdpPort()
  const env = { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', RADIUS_ACCT_PORT: String(radiusPort), LOG_LEVEL: 'warn', ...extraEnv }
  // GATEWAY_NODE_ARGS: extra node flags for the gateway only (e.g. --max-old-space-size=96), for diagnosis.
  const nodeArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, 'src/main.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000))
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited = false
  const exit = new Promise<void>((ok) => child.once('exit', () => ((exited = true), ok())))
  const stopNow = () => {
    if (!exited && child.pid !== undefined) process.kill(child.pid, 'SIGKILL')
  }
  const stop = async () => {
    if (exited) return
    child.kill('SIGTERM')
    const timer = setTimeout(stopNow, 12_000)
    await exit
    clearTimeout(timer)
  }
  const unregister = register({ name: 'gateway', stop, stopNow })
  if (child.pid === undefined) throw new Error('cannot spawn the gateway')
  const pid = child.pid

  const deadline = Date.now() + 30_000
  for (;;) {
    if (exited) throw new Error(`the gateway exited during start-up:\n${output}`)
    if (Date.now() > deadline) throw new Error(`the gateway was not ready within 30 s:\n${output}`)
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false)
    if (ready) break
    await new Promise((ok) => setTimeout(ok, 100))
  }
  return {
    pid,
    port,
    radiusPort,
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
      return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') }
    },
    async stop() {
      await stop()
      unregister()
    },
  }
}

/** Sample a gateway's VmRSS every `everyMs` until stopped; returns the largest value seen (kB). */
export function sampleRss(gateway: Gateway, everyMs = 100): { stop(): number } {
  let max = gateway.memory().rssKb
  const timer = setInterval(() => {
    try {
      max = Math.max(max, gateway.memory().rssKb)
    } catch {}
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      max = Math.max(max, gateway.memory().rssKb)
      return max
    },
  }
}

/** The gateway's own view of its memory (MB), from /metrics (prom-client's default metrics). */
export interface HeapView {
  heapUsedMb: number
  heapTotalMb: number
  externalMb: number
}

/** Scrape the gateway's /metrics for its V8 heap and external memory. */
export async function scrapeMemory(gateway: Gateway): Promise<HeapView> {
  const text = await fetch(`http://127.0.0.1:${gateway.port}/metrics`).then((r) => r.text())
  const metric = (name: string) => Number(new RegExp(`^gateway_${name} ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 1e6
  return { heapUsedMb: metric('nodejs_heap_size_used_bytes'), heapTotalMb: metric('nodejs_heap_size_total_bytes'), externalMb: metric('nodejs_external_memory_bytes') }
}
