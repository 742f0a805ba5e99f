// Group commit: callers submit one item each and wait; items that arrive while a flush is in
// flight ride together in the next one, so one transaction (one WAL flush) acknowledges many
// packets under load and a lone packet is written at once when idle.

/** Writes one batch; resolves with one result per item, in order, or throws for the whole batch. */
export type FlushBatch<Item, Result> = (items: Item[]) => Promise<Result[]>

/** A group committer over `flush`. */
export interface GroupCommit<Item, Result> {
  submit(item: Item): Promise<Result>
  /** Items waiting or being written. */
  pending(): number
  /** Resolves when everything submitted so far has been flushed (or failed). */
  drain(): Promise<void>
}

interface Waiting<Item, Result> {
  item: Item
  resolve: (result: Result) => void
  reject: (error: unknown) => void
}

/**
 * Create a group committer: at most `maxBatch` items per flush and `maxFlushes` flushes in
 * flight (two let one batch fill while the other waits for its commit).
 */
export function createGroupCommit<Item, Result>(flush: FlushBatch<Item, Result>, maxBatch: number, maxFlushes = 1): GroupCommit<Item, Result> {
  let queue: Waiting<Item, Result>[] = []
  let flushes = 0
  let inFlight = 0
  let idle: (() => void)[] = []

  async function flushOne(batch: Waiting<Item, Result>[]): Promise<void> {
    try {
      const results = await flush(batch.map((w) => w.item))
      if (results.length !== batch.length) throw new Error(`flush returned ${results.length} results for ${batch.length} items`)
      batch.forEach((w, i) => w.resolve(results[i]!))
    } catch (error) {
      for (const w of batch) w.reject(error)
    }
  }

  function pump(): void {
    while (queue.length > 0 && flushes < maxFlushes) {
      const batch = queue.slice(0, maxBatch)
      queue = queue.slice(batch.length)
      flushes++
      inFlight += batch.length
      void flushOne(batch).finally(() => {
        flushes--
        inFlight -= batch.length
        pump()
        if (flushes === 0 && queue.length === 0) {
          const waiters = idle
          idle = []
          for (const done of waiters) done()
        }
      })
    }
  }

  return {
    submit(item) {
      return new Promise<Result>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        pump()
      })
    },
    pending: () => queue.length + inFlight,
    drain: () => (flushes > 0 || queue.length > 0 ? new Promise<void>((resolve) => idle.push(resolve)) : Promise.resolve()),
  }
}
