// What this instance last stored or read for recent sessions, so that an Interim-Update that
// repeats the stored mapping costs no database round trip at all. Bounded (oldest entries fall
// out first) and safe to lose: a miss just reads the database, as every instance can.
import type { StoredSessionState } from '../db/session-states.ts'

/** The cache. */
export interface SessionStateCache {
  get(key: string): StoredSessionState | undefined
  set(key: string, state: StoredSessionState): void
  delete(key: string): void
  /** Forget every session of a NAS (it rebooted). */
  forgetNas(nasId: number): void
  size(): number
}

/** Create a cache of at most `max` sessions (0 keeps nothing). */
export function createSessionStateCache(max: number): SessionStateCache {
  const entries = new Map<string, StoredSessionState>()
  return {
    get: (key) => entries.get(key),
    set(key, state) {
      if (max <= 0) return
      entries.delete(key)
      entries.set(key, state)
      if (entries.size > max) entries.delete(entries.keys().next().value!)
    },
    delete: (key) => void entries.delete(key),
    forgetNas(nasId) {
      const prefix = `${nasId}\u0000`
      for (const key of entries.keys()) if (key.startsWith(prefix)) entries.delete(key)
    },
    size: () => entries.size,
  }
}
