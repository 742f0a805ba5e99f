// The two gateway instances of the soak, each pinned to its own loopback HTTP and RADIUS ports so
// that a restart comes back on the same addresses (as behind a load balancer). The load drivers
// ask for an instance that is up (`pick`), as a load balancer's health check would route; a
// process that exits without the soak having killed it is recorded as an unexpected exit. Every
// instance's log goes to LOG_DIR/<name>.log, and its warnings and errors are tallied by message.
import { createWriteStream, type WriteStream } from 'node:fs'
import { join } from 'node:path'
import { freeTcpPort, freeUdpPort, type Gateway, startGateway } from '../../recharge/lib/processes.ts'

/** One instance slot: its fixed ports and the process currently in it. */
export interface Instance {
  name: string
  port: number
  radiusPort: number
  gateway: Gateway | undefined
  /** True while the soak itself is killing or restarting it. */
  expectedDown: boolean
}

/** The fleet of instances. */
export interface Fleet {
  instances: Instance[]
  /** An instance that is up, round-robin; undefined when none is. */
  pick(): Instance | undefined
  /** kill -9 instance `index` (the soak's own chaos); resolves once it is gone. */
  kill(index: number): Promise<void>
  /** Start instance `index` again on its ports; resolves when /readyz answers 200. */
  restart(index: number): Promise<void>
  /** Exits the soak did not cause, with the last output of the process. */
  unexpectedExits(): string[]
  /** Warnings and errors the instances logged: "level msg" → count. */
  logTally(): Map<string, number>
  stop(): Promise<void>
}

const LEVELS: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' }

// pino writes one JSON object per line; chunks may split lines.
function tallyInto(tally: Map<string, number>): (chunk: Buffer) => void {
  let partial = ''
  return (chunk) => {
    const lines = (partial + chunk.toString()).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      let entry: { level?: number; msg?: string; err?: unknown }
      try {
        entry = JSON.parse(line) as typeof entry
      } catch {
        if (line.trim() !== '') tally.set(`stderr ${line.slice(0, 120)}`, (tally.get(`stderr ${line.slice(0, 120)}`) ?? 0) + 1)
        continue
      }
      const level = LEVELS[entry.level ?? 0]
      if (level === undefined) continue
      const err = typeof entry.err === 'string' ? entry.err : (entry.err as { message?: string } | undefined)?.message
      const key = `${level} ${entry.msg ?? ''}${err === undefined ? '' : `: ${err.slice(0, 100)}`}`
      tally.set(key, (tally.get(key) ?? 0) + 1)
    }
  }
}

/** Start `count` gateways against `url`; `env(instance)` adds per-instance environment. */
export async function startFleet(url: string, appSecret: string, count: number, logDir: string, env: (port: number) => Record<string, string>): Promise<Fleet> {
  const instances: Instance[] = []
  const tally = new Map<string, number>()
  const logs = new Map<string, WriteStream>()
  const exits: string[] = []
  let next = 0
  const watched = new Set<Gateway>()

  async function launch(slot: Instance): Promise<void> {
    if (!logs.has(slot.name)) logs.set(slot.name, createWriteStream(join(logDir, `${slot.name}.log`), { flags: 'a' }))
    const log = logs.get(slot.name)!
    const tallyChunk = tallyInto(tally)
    const onOutput = (chunk: Buffer) => {
      log.write(chunk)
      tallyChunk(chunk)
    }
    const gateway = await startGateway(url, appSecret, { ...env(slot.port), PORT: String(slot.port), RADIUS_ACCT_PORT: String(slot.radiusPort) }, onOutput)
    slot.gateway = gateway
    watched.add(gateway)
  }

  // Polled rather than evented: startChild only exposes exited().
  const watcher = setInterval(() => {
    for (const slot of instances) {
      const g = slot.gateway
      if (g !== undefined && g.exited() && !slot.expectedDown && watched.has(g)) {
        watched.delete(g)
        exits.push(`${slot.name} (pid ${g.pid}) exited on its own at ${new Date().toISOString()}:\n${g.output().slice(-3000)}`)
        slot.gateway = undefined
      }
    }
  }, 250)
  watcher.unref()

  for (let i = 0; i < count; i++) {
    const slot: Instance = { name: `gateway-${String.fromCharCode(97 + i)}`, port: await freeTcpPort(), radiusPort: await freeUdpPort(), gateway: undefined, expectedDown: false }
    instances.push(slot)
    await launch(slot)
  }

  return {
    instances,
    pick() {
      for (let k = 0; k < instances.length; k++) {
        const slot = instances[next++ % instances.length]!
        if (slot.gateway !== undefined && !slot.expectedDown) return slot
      }
      return undefined
    },
    async kill(index) {
      const slot = instances[index]!
      const g = slot.gateway
      slot.expectedDown = true
      if (g === undefined) return
      watched.delete(g)
      process.kill(g.pid, 'SIGKILL')
      await g.stop() // already dead: only waits for the exit and unregisters
      slot.gateway = undefined
    },
    async restart(index) {
      const slot = instances[index]!
      await launch(slot)
      slot.expectedDown = false
    },
    unexpectedExits: () => [...exits],
    logTally: () => tally,
    async stop() {
      clearInterval(watcher)
      for (const slot of instances) {
        slot.expectedDown = true
        const g = slot.gateway
        if (g !== undefined) watched.delete(g)
        await g?.stop()
      }
      for (const log of logs.values()) log.end()
    },
  }
}
