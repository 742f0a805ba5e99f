// What every benchmark starts, and how it is stopped again: the throwaway PostgreSQL cluster
// (shared/peers/lib/pg-throwaway.sh) and the processes a benchmark registers. Every start registers
// its stop first; stopAll() runs them newest first, also on SIGINT/SIGTERM, and a synchronous last
// resort runs at exit. One registry for the whole run, whichever benchmark's helpers started what.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (bench/lib → ../..). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** shared/ beside the repository (../shared, as CI lays it out), else /work/shared, or SHARED_DIR. */
export function sharedDir(): string {
  const candidates = [process.env.SHARED_DIR, resolve(REPO, '../shared'), '/work/shared'].filter((d): d is string => !!d)
  const found = candidates.find((d) => existsSync(resolve(d, 'peers/lib/pg-throwaway.sh')))
  if (found === undefined) throw new Error(`no shared/peers/lib/pg-throwaway.sh in ${candidates.join(' or ')}`)
  return found
}

/** How to stop one thing this run started. */
export interface Stopper {
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

/** Gateway settings that turn load shedding off: the capacity benchmarks measure what the gateway can do, bench:overload measures the shedding. */
export const SHEDDING_OFF: Readonly<Record<string, string>> = { LOAD_SHED_MAX_IN_FLIGHT: '0', LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0', LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION: '0' }
