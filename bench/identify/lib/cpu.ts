// Who used the CPUs during a measurement: the whole machine (/proc/stat) against this benchmark's
// own processes (this process, the gateway, the PostgreSQL cluster's postmaster and backends).
// On a shared 2-core box the difference is other people's work, and it shows in every latency.
import { readdirSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'

function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields
  const busy = user + nice + system + irq + softirq + steal
  return { busy, total: busy + idle + iowait }
}

function stat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // utime + stime + cutime + cstime: a child that exits moves its ticks into its parent's
    // c-times once reaped (the postmaster reaps its backends), so the sum survives exits.
    return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]) }
  } catch {
    return undefined
  }
}

function ownTicks(pids: readonly number[], parents: readonly number[]): number {
  let ticks = 0
  for (const pid of pids) ticks += stat(pid)?.ticks ?? 0
  if (parents.length === 0) return ticks
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const s = stat(Number(entry))
    if (s !== undefined && parents.includes(s.ppid)) ticks += s.ticks
  }
  return ticks
}

/** CPU use over a window, in CPUs (2.0 = both cores busy the whole time). */
export interface CpuShare {
  machine: number
  ours: number
  others: number
}

/** Start a window over `pids` plus the children of `parents`; stop() gives the shares. */
export function cpuWindow(pids: readonly number[], parents: readonly number[]): { stop(): CpuShare } {
  const all = [process.pid, ...pids, ...parents]
  const m0 = machineTicks()
  const o0 = ownTicks(all, parents)
  return {
    stop() {
      const m1 = machineTicks()
      const o1 = ownTicks(all, parents)
      const cores = cpus().length
      const span = (m1.total - m0.total) / cores // ticks of wall time
      const machine = span > 0 ? (m1.busy - m0.busy) / span : Number.NaN
      const ours = span > 0 ? (o1 - o0) / span : Number.NaN
      return { machine, ours, others: Math.max(0, machine - ours) }
    },
  }
}

/** The postmaster pid of a throwaway cluster URL (…?host=DIR&port=…): DIR/data/postmaster.pid. */
export function postmasterPid(url: string): number | undefined {
  const dir = /[?&]host=([^&]+)/.exec(url)?.[1]
  if (dir === undefined) return undefined
  try {
    return Number(readFileSync(`${decodeURIComponent(dir)}/data/postmaster.pid`, 'utf8').split('\n')[0])
  } catch {
    return undefined
  }
}
