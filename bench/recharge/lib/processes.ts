// Everything the recharge benchmark starts, and how it is stopped again: the throwaway PostgreSQL
// cluster (shared/peers/lib/pg-throwaway.sh), gateways in server mode and FreeRADIUS. Every start
// registers its stop first; stopAll() runs them newest first, also on SIGINT/SIGTERM, and a
// synchronous last resort runs at exit. Processes are stopped by the pid this run started, only.
// The common part (cluster, stop registry, ports, migrate) is bench/lib/processes.ts.
import { type ChildProcess, spawn } from 'node:child_process'
import { freeTcpPort, freeUdpPort, REPO, register } from '../../lib/processes.ts'
import { gatewayNodeFlags } from '../../lib/gateway-node-flags.ts'

export { freeTcpPort, freeUdpPort, installCleanupHandlers, migrate, REPO, register, run, SHEDDING_OFF, sharedDir, startPostgres, stopAll, withDatabase } from '../../lib/processes.ts'

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
  const child = startChild('gateway', process.execPath, [...gatewayNodeFlags(), 'src/main.ts'], env, 12_000, onOutput)
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
