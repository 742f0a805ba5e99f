// Once per test run, in the main vitest process: the run's log directory (see log-capture.ts),
// inherited by every worker. It is removed at the end when the leak scan passed, kept otherwise.
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LOG_DIR_ENV } from './log-capture.ts'

/** Marker the leak scan writes into the directory when it found nothing. */
export const CLEAN_MARKER = 'scan-clean'

export default function setup(): () => void {
  // The same directory for every project of this run (each project runs its own global setup).
  const dir = (process.env[LOG_DIR_ENV] ||= join(tmpdir(), `rg-test-logs-${process.pid}`))
  mkdirSync(dir, { recursive: true })
  return () => {
    if (existsSync(join(dir, CLEAN_MARKER))) rmSync(dir, { recursive: true, force: true })
  }
}
