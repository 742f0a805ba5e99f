// Every log line the test suite produces, kept for the final leak scan (test/log-scan): in-process
// loggers built by createLogger without a destination (the app's, the accounting stack's, the job
// workers') write to this worker's file in the run's directory, at debug level, with the
// production redaction; child processes started by test/helpers/process.ts copy their stdout and
// stderr there too. The directory is named by RG_TEST_LOG_DIR (set by test/helpers/global-setup.ts).
import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { pino, type DestinationStream } from 'pino'

/** The environment variable naming the run's log directory. */
export const LOG_DIR_ENV = 'RG_TEST_LOG_DIR'

let stream: DestinationStream | undefined

/** This worker's capture file as a pino destination, or undefined when no run directory is set. */
export function captureStream(): DestinationStream | undefined {
  const dir = process.env[LOG_DIR_ENV]
  if (dir === undefined || dir === '') return undefined
  if (stream === undefined) {
    mkdirSync(dir, { recursive: true })
    stream = pino.destination({ dest: join(dir, `worker-${process.pid}.log`), sync: true, append: true })
  }
  return stream
}

/** Append what a child process printed (`what`: e.g. "main.ts 1234 stdout") to the run's directory. */
export function captureChildOutput(pid: number | undefined, what: string, chunk: Buffer): void {
  const dir = process.env[LOG_DIR_ENV]
  if (dir === undefined || dir === '') return
  mkdirSync(dir, { recursive: true })
  appendFileSync(join(dir, `child-${pid ?? 'unknown'}-${what}.log`), chunk)
}
