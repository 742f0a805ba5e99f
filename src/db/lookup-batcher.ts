// Coalesces the lookups that requests make in one turn of the event loop into one statement: at
// thousands of pages a second, most of a page's database cost was the round trip itself (the socket
// write, waking the server, the protocol, the pool), paid once per page. Lookups are collected
// until the loop's check phase (setImmediate: after every socket that was readable in this turn
// has been read), then sent in batches of at most `maxBatch`; a lone lookup goes by itself.
// Nothing waits for company: a batch leaves in the same turn its first lookup was asked in, unless
// `maxInFlight` statements are already out; then lookups gather until one comes back and leave
// together (under load batches grow instead of statements queueing for pool connections; when idle
// nothing waits).

/** How a batcher runs its lookups. */
export interface LookupBatcherDeps<K, V> {
  /** One lookup alone (the common case under light load). */
  one: (key: K) => Promise<V>
  /** Several in one statement; answers in the order of `keys`, one per key. */
  many: (keys: readonly K[]) => Promise<V[]>
  /** Most lookups one statement carries. */
  maxBatch: number
  /** Most statements out at once (default: no limit). */
  maxInFlight?: number
}

interface Pending<K, V> {
  key: K
  resolve: (value: V) => void
  reject: (err: unknown) => void
}

// A lookup that throws instead of rejecting still answers its waiters.
function attempt<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run()
  } catch (err) {
    return Promise.reject(err)
  }
}

/** A function that answers one lookup, sharing a statement with lookups made in the same turn. */
export function createLookupBatcher<K, V>(deps: LookupBatcherDeps<K, V>): (key: K) => Promise<V> {
  const maxInFlight = deps.maxInFlight ?? Number.POSITIVE_INFINITY
  const queue: Pending<K, V>[] = []
  let inFlight = 0
  let scheduled = false

  // In the loop's check phase: every lookup asked for in this turn goes too.
  function schedule(): void {
    if (scheduled) return
    scheduled = true
    setImmediate(flush)
  }

  function settled(): void {
    inFlight--
    if (queue.length > 0) schedule()
  }

  function send(batch: Pending<K, V>[]): void {
    inFlight++
    if (batch.length === 1) {
      const [only] = batch as [Pending<K, V>]
      attempt(() => deps.one(only.key))
        .then(only.resolve, only.reject)
        .finally(settled)
      return
    }
    attempt(() => deps.many(batch.map((p) => p.key)))
      .then(
        (values) => {
          // Answers that do not line up cannot be handed out: fail the batch loudly, never mix pages.
          if (values.length !== batch.length) {
            const err = new Error(`batched lookup answered ${values.length} of ${batch.length}`)
            for (const p of batch) p.reject(err)
            return
          }
          for (const [i, p] of batch.entries()) p.resolve(values[i] as V)
        },
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      )
      .finally(settled)
  }

  function sendQueued(): void {
    while (queue.length > 0 && inFlight < maxInFlight) send(queue.splice(0, deps.maxBatch))
  }

  function flush(): void {
    scheduled = false
    sendQueued()
  }

  return (key) =>
    new Promise<V>((resolve, reject) => {
      queue.push({ key, resolve, reject })
      schedule()
    })
}
