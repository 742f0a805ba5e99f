// Confirming lifts: every few seconds, one statement confirms the lifted attempts whose line sent
// accounting since the lift (src/db/attempts.ts confirmLiftedAttempts). An attempt not confirmed
// within the window stays lifted: its line never came back, which support sees on the timeline.
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { confirmLiftedAttempts } from '../db/attempts.ts'
import type { Database } from '../db/schema.ts'

/** How often lifted attempts are looked at (ms): a confirmation shows within this of the record. */
export const CONFIRM_SWEEP_MS = 5000
/** How long after its lift an attempt can still be confirmed (ms). */
export const CONFIRM_WINDOW_MS = 3 * 60 * 60 * 1000

/** Sweep every `everyMs` until the returned function is called; a failed sweep is logged and the next one tries again. */
export function startConfirmSweep(options: { db: Kysely<Database>; log: Logger; everyMs?: number; windowMs?: number }): () => Promise<void> {
  let running: Promise<void> | undefined
  const sweep = () => {
    if (running !== undefined) return
    running = confirmLiftedAttempts(options.db, new Date(Date.now() - (options.windowMs ?? CONFIRM_WINDOW_MS)))
      .then((n) => {
        if (n > 0) options.log.debug({ confirmed: n }, 'lifts confirmed by accounting')
      })
      .catch((err: unknown) => options.log.warn({ err: (err as Error).message }, 'cannot confirm lifts now; will try again'))
      .finally(() => {
        running = undefined
      })
  }
  const timer = setInterval(sweep, options.everyMs ?? CONFIRM_SWEEP_MS)
  timer.unref()
  return async () => {
    clearInterval(timer)
    await running
  }
}
