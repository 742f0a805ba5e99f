// Runs before every test file: quiet logs unless asked for; loggers made without a destination
// write to the run's capture file instead (log-capture.ts), so the final scan sees what they log.
import { vi } from 'vitest'

process.env.LOG_LEVEL ??= 'silent'

vi.mock('../../src/logging/logger.ts', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/logging/logger.ts')>()
  const { captureStream } = await import('./log-capture.ts')
  const { pino } = await import('pino')
  return {
    ...actual,
    createLogger: (level: string, destination?: Parameters<typeof actual.createLogger>[1]) => {
      const capture = captureStream()
      if (destination !== undefined || capture === undefined) return actual.createLogger(level, destination)
      // "silent" is what tests ask for so the console stays clean; the file still gets everything.
      return pino(actual.loggerOptions(level === 'silent' ? 'debug' : level), capture)
    },
  }
})
