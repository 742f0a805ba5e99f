// Portal load for the soak: GET /portal from many loopback addresses — those of the accounting
// load's sessions and of the paying subscribers' lines — one connection each, paced and bounded,
// to whichever instance is up. Answers are counted by status (a degraded page while the database
// is down is an answer too); connection failures separately.
import { Agent } from 'node:http'
import { exchange } from '../../recharge/lib/drive.ts'
import { lineAddress } from '../../recharge/lib/seed.ts'
import { accountingAddress } from './accounting-load.ts'
import type { Fleet } from './fleet.ts'

/** What the portal load did. */
export interface PortalFigures {
  requests: number
  byStatus: Record<string, number>
  errors: number
  wallMs: number
}

/** Run until `durationMs`: `ratePerS` pages per second, at most `maxInFlight` at once. */
export async function runPortalLoad(fleet: Fleet, options: { ratePerS: number; maxInFlight: number; durationMs: number; accountingSessions: number; lines: number }): Promise<PortalFigures> {
  const f: PortalFigures = { requests: 0, byStatus: {}, errors: 0, wallMs: 0 }
  const running = new Set<Promise<void>>()
  const start = Date.now()
  for (let k = 0; Date.now() - start < options.durationMs; k++) {
    const wait = start + (k * 1000) / options.ratePerS - Date.now()
    if (wait > 0) await new Promise((ok) => setTimeout(ok, wait))
    if (running.size >= options.maxInFlight) await Promise.race(running)
    const slot = fleet.pick()
    if (slot === undefined) continue
    const address = k % 2 === 0 ? accountingAddress(Math.floor(Math.random() * options.accountingSessions)) : lineAddress(Math.floor(Math.random() * options.lines))
    const agent = new Agent({ keepAlive: false })
    f.requests++
    const p: Promise<void> = exchange(agent, slot.port, address, 'GET', '/portal?lang=en')
      .then(
        (answer) => void (f.byStatus[answer.status] = (f.byStatus[answer.status] ?? 0) + 1),
        () => void f.errors++,
      )
      .finally(() => {
        agent.destroy()
        running.delete(p)
      })
    running.add(p)
  }
  await Promise.all(running)
  f.wallMs = Date.now() - start
  return f
}
