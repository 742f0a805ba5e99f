// A flood of bad packets must not become a flood of log lines: at most `perWindow` lines per key
// per window, then one summary line with how many were suppressed.
import type { Logger } from 'pino'

/** Logs warnings under a per-key budget. */
export interface RateLimitedLog {
  warn(key: string, fields: Record<string, unknown>, message: string): void
}

/** Create a limiter over `log`: `perWindow` lines per key per `windowMs`. */
export function createRateLimitedLog(log: Logger, perWindow = 10, windowMs = 10_000): RateLimitedLog {
  const windows = new Map<string, { start: number; count: number }>()
  return {
    warn(key, fields, message) {
      const now = Date.now()
      let w = windows.get(key)
      if (w === undefined || now - w.start >= windowMs) {
        if (w !== undefined && w.count > perWindow) {
          log.warn({ key, suppressed: w.count - perWindow, windowMs }, 'similar log lines suppressed')
        }
        w = { start: now, count: 0 }
        windows.set(key, w)
        if (windows.size > 1000) windows.clear()
      }
      w.count++
      if (w.count <= perWindow) log.warn(fields, message)
    },
  }
}
