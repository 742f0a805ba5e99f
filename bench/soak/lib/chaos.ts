// The chaos schedule: one fault at a time, every `everyMs`, cycling through the four kinds —
// terminate every database connection (three times, 2 s apart), restart PostgreSQL (pg_ctl stop
// -m fast, down for a while, start on the same data directory), silence the NAS (stop FreeRADIUS,
// start it again on the same port after a while) and kill -9 one gateway (alternating) and start
// it again. Each event is recorded with its timing; a fault that cannot be undone stops the
// schedule and is reported, since everything after it would measure something else.
import { startCluster, stopCluster, terminateBackends } from './cluster.ts'
import type { Fleet } from './fleet.ts'

/** One fault the soak caused. */
export interface ChaosEvent {
  kind: 'kill-connections' | 'restart-postgres' | 'silence-nas' | 'kill-gateway'
  atS: number
  tookS: number
  detail: string
  ok: boolean
}

/** What the schedule needs to reach. */
export interface ChaosTargets {
  url: string
  fleet: Fleet
  stopNas(): Promise<void>
  startNas(): Promise<void>
}

const KINDS: ChaosEvent['kind'][] = ['kill-connections', 'restart-postgres', 'silence-nas', 'kill-gateway']
const pause = (ms: number) => new Promise((ok) => setTimeout(ok, ms))

/** Run faults from `everyMs` on until `durationMs`, none starting in the last 5 s. */
export async function runChaos(t: ChaosTargets, options: { durationMs: number; everyMs: number; postgresDownMs: number; nasDownMs: number }): Promise<ChaosEvent[]> {
  const events: ChaosEvent[] = []
  const start = Date.now()
  let victim = 0
  for (let n = 0; ; n++) {
    const due = start + (n + 1) * options.everyMs
    if (due > start + options.durationMs - 5000) break
    if (due > Date.now()) await pause(due - Date.now())
    const kind = KINDS[n % KINDS.length]!
    const began = Date.now()
    let detail = ''
    let ok = true
    try {
      if (kind === 'kill-connections') {
        const killed: number[] = []
        for (let r = 0; r < 3; r++) {
          if (r > 0) await pause(2000)
          killed.push(await terminateBackends(t.url))
        }
        detail = `terminated ${killed.join('+')} backends`
      } else if (kind === 'restart-postgres') {
        await stopCluster(t.url)
        await pause(options.postgresDownMs)
        await startCluster(t.url)
        detail = `down ${((Date.now() - began) / 1000).toFixed(1)} s`
      } else if (kind === 'silence-nas') {
        await t.stopNas()
        await pause(options.nasDownMs)
        await t.startNas()
        detail = `silent ${((Date.now() - began) / 1000).toFixed(1)} s`
      } else {
        const index = victim++ % t.fleet.instances.length
        const name = t.fleet.instances[index]!.name
        await t.fleet.kill(index)
        await pause(2000)
        await t.fleet.restart(index)
        detail = `${name} killed, back after ${((Date.now() - began) / 1000).toFixed(1)} s`
      }
    } catch (err) {
      ok = false
      detail = `could not complete: ${(err as Error).message.slice(0, 300)}`
    }
    events.push({ kind, atS: (began - start) / 1000, tookS: (Date.now() - began) / 1000, detail, ok })
    process.stdout.write(`  chaos ${kind} at ${((began - start) / 1000).toFixed(0)} s: ${detail}\n`)
    if (!ok) break
  }
  return events
}
