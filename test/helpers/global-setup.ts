// Once per test run, in the main vitest process: the run's log directory (see log-capture.ts),
// inherited by every worker. It is removed at the end unless the leak scan found something (a run
// of a few files, without the scan, leaves nothing behind either).
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LOG_DIR_ENV } from './log-capture.ts'

/** Marker the leak scan writes into the directory when it found leaks: the directory is kept. */
export const LEAK_MARKER = 'scan-found-leaks'

export default function setup(): () => void {
  // The same directory for every project of this run (each project runs its own global setup).
  const dir = (process.env[LOG_DIR_ENV] ||= join(tmpdir(), `rg-test-logs-${process.pid}`))
  mkdirSync(dir, { recursive: true })
  return () => {
    if (!existsSync(join(dir, LEAK_MARKER))) rmSync(dir, { recursive: true, force: true })
  }
}
