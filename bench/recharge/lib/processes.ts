// Everything the recharge benchmark starts, and how it is stopped again: the throwaway PostgreSQL
// cluster (shared/peers/lib/pg-throwaway.sh), gateways in server mode and FreeRADIUS. Every start
// registers its stop first; stopAll() runs them newest first, also on SIGINT/SIGTERM, and a
// synchronous last resort runs at exit. Processes are stopped by the pid this run started, only.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (bench/recharge/lib → ../../..). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** shared/ beside the repository (../shared, as CI lays it out), else /work/shared, or SHARED_DIR. */
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

/** Register a stopper; returns its unregister function. */
export function register(stopper: Stopper): () => void {
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

/** Run a command to completion in the repository, collecting its output. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
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

/** Start a throwaway PostgreSQL 15 (fsync on, asserted; unix socket only); returns its URL. */
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

/** The same cluster, another database in it. */
export function withDatabase(url: string, db: string): string {
  return url.replace(/^(postgresql:\/\/[^/]*\/)[^?]*/, `$1${db}`)
}

/** Run `node src/cli.ts migrate` against `url`. */
export async function migrate(url: string): Promise<string> {
  const result = await run(process.execPath, ['src/cli.ts', 'migrate'], { ...process.env, DATABASE_URL: url })
  if (result.code !== 0) throw new Error(`migrate failed (${result.code}):\n${result.stdout}${result.stderr}`)
  return result.stdout.trim()
}

/** A running child process started by this run. */
export interface Child {
  pid: number
  /** The last few kB it printed. */
  output(): string
  exited(): boolean
  stop(): Promise<void>
}

/** Spawn a long-running child; SIGTERM on stop, SIGKILL after `killAfterMs` or at exit. */
export function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, killAfterMs = 12_000, onOutput?: (chunk: Buffer) => void): Child {
  const child: ChildProcess = spawn(command, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000)
    onOutput?.(chunk)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited = false
  const exit = new Promise<void>((ok) => child.once('exit', () => ((exited = true), ok())))
  if (child.pid === undefined) throw new Error(`cannot spawn ${name}`)
  const pid = child.pid
  const stopNow = () => {
    if (!exited) process.kill(pid, 'SIGKILL')
  }
  const stopGracefully = async () => {
    if (exited) return
    child.kill('SIGTERM')
    const timer = setTimeout(stopNow, killAfterMs)
    await exit
    clearTimeout(timer)
  }
  const unregister = register({ name, stop: stopGracefully, stopNow })
  return {
    pid,
    output: () => output,
    exited: () => exited,
    async stop() {
      await stopGracefully()
      unregister()
    },
  }
}

/** A running gateway. */
export interface Gateway extends Child {
  port: number
}

/** Start `node src/main.ts` in server mode on 127.0.0.1 and wait until /readyz says 200. */
export async function startGateway(url: string, appSecret: string, extraEnv: Record<string, string> = {}, onOutput?: (chunk: Buffer) => void): Promise<Gateway> {
  // PORT and RADIUS_ACCT_PORT in extraEnv pin the ports (a restart on the same addresses).
  const port = extraEnv.PORT === undefined ? await freeTcpPort() : Number(extraEnv.PORT)
  const radiusPort = extraEnv.RADIUS_ACCT_PORT === undefined ? await freeUdpPort() : Number(extraEnv.RADIUS_ACCT_PORT)
  const env = {
    ...process.env,
    DATABASE_URL: url,
    PORT: String(port),
    HOST: '127.0.0.1',
    RADIUS_ACCT_PORT: String(radiusPort),
    APP_SECRET: appSecret,
    LOG_LEVEL: 'warn',
    ...extraEnv,
  }
  const child = startChild('gateway', process.execPath, ['src/main.ts'], env, 12_000, onOutput)
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exited()) throw new Error(`the gateway exited during start-up:\n${child.output()}`)
    if (Date.now() > deadline) throw new Error(`the gateway was not ready within 30 s:\n${child.output()}`)
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false)
    if (ready) break
    await new Promise((ok) => setTimeout(ok, 100))
  }
  return { ...child, port }
}
