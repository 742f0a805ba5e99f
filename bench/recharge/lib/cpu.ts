// CPU accounting from /proc, to tell "the machine is out of CPU" from "something waits": the
// host's busy share of its cores, and the CPU seconds of the gateway and of PostgreSQL (the
// postmaster and every backend it forked).
import { readdirSync, readFileSync } from 'node:fs'

const TICK = 100

function processTicks(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // After the comm: state ppid … utime stime at 11 and 12.
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

/** CPU seconds of one process so far. */
export function processCpu(pid: number): number {
  return (processTicks(pid)?.ticks ?? Number.NaN) / TICK
}

/** CPU seconds per live process of the tree under `rootPid` (root included). */
export function treeCpu(rootPid: number): Map<number, number> {
  const result = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    const info = processTicks(pid)
    if (info !== undefined && (pid === rootPid || info.ppid === rootPid)) result.set(pid, info.ticks / TICK)
  }
  return result
}

/** CPU seconds a tree used between two treeCpu() snapshots (processes born meanwhile count from 0). */
export function treeDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0)
  return sum
}

/** Host CPU counters (all cores): busy and total ticks. */
export function hostCpu(): { busy: number; total: number; cores: number } {
  const text = readFileSync('/proc/stat', 'utf8')
  const line = text.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const idle = (line[3] ?? 0) + (line[4] ?? 0)
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0)
  const cores = text.split('\n').filter((l) => /^cpu\d+ /.test(l)).length
  return { busy: total - idle, total, cores }
}

/** Busy share of all cores between two hostCpu() readings, in cores (0 … cores). */
export function busyCores(before: ReturnType<typeof hostCpu>, after: ReturnType<typeof hostCpu>): number {
  const total = after.total - before.total
  return total <= 0 ? Number.NaN : ((after.busy - before.busy) / total) * after.cores
}
