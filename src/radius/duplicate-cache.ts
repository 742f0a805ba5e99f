// RFC 5080 §2.2.2: a retransmission (same source address and port, Identifier and Request
// Authenticator) must get the same answer without being processed twice. Entries live for a
// window a little longer than NAS retry schedules, then fall off the front of the Map (insertion
// order = age order). Safe to lose: application-level duplicate detection stands behind it.

/** What the cache knows about a request. */
export type DuplicateState = { kind: 'new' } | { kind: 'in-flight' } | { kind: 'answered'; response: Buffer }

/** The duplicate-request cache of one server. */
export interface DuplicateCache {
  /** Look `key` up; a new key is recorded as in flight. */
  check(key: string): DuplicateState
  /** Remember the answer for `key`. */
  answered(key: string, response: Buffer): void
  /** Forget `key` (it failed; a retransmission must be processed afresh). */
  forget(key: string): void
  size(): number
}

interface Entry {
  at: number
  response: Buffer | null
}

/** Create a cache keeping entries for `windowMs`, at most `maxEntries`. */
export function createDuplicateCache(windowMs: number, maxEntries: number, now: () => number = Date.now): DuplicateCache {
  const entries = new Map<string, Entry>()
  function evict(t: number): void {
    for (const [key, entry] of entries) {
      if (t - entry.at < windowMs && entries.size < maxEntries) break
      entries.delete(key)
    }
  }
  return {
    check(key) {
      const t = now()
      evict(t)
      const entry = entries.get(key)
      if (entry !== undefined && t - entry.at < windowMs) {
        return entry.response === null ? { kind: 'in-flight' } : { kind: 'answered', response: entry.response }
      }
      entries.set(key, { at: t, response: null })
      return { kind: 'new' }
    },
    answered(key, response) {
      const entry = entries.get(key)
      if (entry !== undefined) entry.response = response
    },
    forget(key) {
      entries.delete(key)
    },
    size: () => entries.size,
  }
}
