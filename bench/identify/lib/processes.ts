// Everything this benchmark starts, and how it is stopped again: the throwaway PostgreSQL cluster
// (shared/peers/lib/pg-throwaway.sh) and the gateway in server mode. Every start registers its
// stop first; stopAll() runs them in reverse, also from SIGINT/SIGTERM and, synchronously, at exit.
// The common part (cluster, stop registry, ports, migrate) is bench/lib/processes.ts.
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { freeTcpPort, freeUdpPort, REPO, register } from '../../lib/processes.ts'
import { gatewayNodeFlags } from '../../lib/gateway-node-flags.ts'

export { freeTcpPort, freeUdpPort, installCleanupHandlers, migrate, REPO, register, run, SHEDDING_OFF, sharedDir, startPostgres, stopAll, withDatabase } from '../../lib/processes.ts'

/** A running gateway process. */
export interface Gateway {
  pid: number
  port: number
  radiusPort: number
  /** VmRSS and VmHWM (peak) in kB, from /proc/<pid>/status. */
  memory(): { rssKb: number; hwmKb: number }
  stop(): Promise<void>
}

/** Start `node src/main.ts` in server mode on loopback and wait until /readyz says 200. */
export async function startGateway(url: string, extraEnv: Readonly<Record<string, string>> = {}): Promise<Gateway> {
  const port = await freeTcpPort()
  const radiusPort = await freeUdpPort()
  const env = { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', RADIUS_ACCT_PORT: String(radiusPort), LOG_LEVEL: 'warn', ...extraEnv }
  // GATEWAY_NODE_ARGS: extra node flags for the gateway only (e.g. --max-old-space-size=96), for diagnosis.
  const nodeArgs = (process.env.GATEWAY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const child: ChildProcess = spawn(process.execPath, [...gatewayNodeFlags(), ...nodeArgs, 'src/main.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
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
