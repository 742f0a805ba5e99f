// Lookups asked for in one turn of the event loop share one statement; every caller gets its own
// answer (or the statement's error), a lone lookup goes by itself, and a batch never waits for more.
import { describe, expect, it } from 'vitest'
import { createLookupBatcher } from '../../src/db/lookup-batcher.ts'

function recorder(options: { fail?: Error; short?: boolean } = {}) {
  const calls: { kind: 'one' | 'many'; keys: number[] }[] = []
  const lookup = createLookupBatcher<number, string>({
    one: async (key) => {
      calls.push({ kind: 'one', keys: [key] })
      if (options.fail) throw options.fail
      return `v${key}`
    },
    many: async (keys) => {
      calls.push({ kind: 'many', keys: [...keys] })
      if (options.fail) throw options.fail
      const values = keys.map((k) => `v${k}`)
      return options.short ? values.slice(1) : values
    },
    maxBatch: 3,
  })
  return { calls, lookup }
}

describe('lookup batcher', () => {
  it('sends the lookups of one turn together, in statements of at most maxBatch, answers in order', async () => {
    const { calls, lookup } = recorder()
    const answers = await Promise.all([5, 1, 4, 2, 3, 9, 7].map((k) => lookup(k)))
    expect(answers).toEqual(['v5', 'v1', 'v4', 'v2', 'v3', 'v9', 'v7'])
    expect(calls).toEqual([
      { kind: 'many', keys: [5, 1, 4] },
      { kind: 'many', keys: [2, 3, 9] },
      { kind: 'one', keys: [7] },
    ])
  })

  it('sends a lone lookup by itself, and lookups of later turns in later statements', async () => {
    const { calls, lookup } = recorder()
    expect(await lookup(1)).toBe('v1')
    expect(await Promise.all([lookup(2), lookup(3)])).toEqual(['v2', 'v3'])
    expect(await lookup(4)).toBe('v4')
    expect(calls.map((c) => c.kind)).toEqual(['one', 'many', 'one'])
  })

  it('does not wait for company: a lookup is sent within the turn it was asked in', async () => {
    const { calls, lookup } = recorder()
    const pending = lookup(1)
    await new Promise((resolve) => setImmediate(resolve))
    expect(calls).toEqual([{ kind: 'one', keys: [1] }])
    await pending
  })

  it('rejects every lookup of a failed statement with its error, and keeps working after', async () => {
    const failing = recorder({ fail: new Error('connection lost') })
    const settled = await Promise.allSettled([failing.lookup(1), failing.lookup(2), failing.lookup(3)])
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : s.status))).toEqual(['connection lost', 'connection lost', 'connection lost'])
    await expect(failing.lookup(4)).rejects.toThrow('connection lost')

    const { lookup } = recorder()
    await Promise.allSettled([lookup(1), lookup(2)])
    expect(await Promise.all([lookup(3), lookup(4)])).toEqual(['v3', 'v4'])
  })

  it('fails the whole batch when the answers do not line up, instead of mixing them up or leaving one waiting', async () => {
    const { lookup } = recorder({ short: true })
    const settled = await Promise.allSettled([lookup(1), lookup(2)])
    for (const s of settled) {
      expect(s.status).toBe('rejected')
      expect(((s as PromiseRejectedResult).reason as Error).message).toMatch(/answered 1 of 2/)
    }
  })

  it('with maxInFlight statements out, gathers later lookups and sends them together when one comes back', async () => {
    const calls: number[][] = []
    const releases: (() => void)[] = []
    const lookup = createLookupBatcher<number, string>({
      one: async (key) => {
        calls.push([key])
        await new Promise<void>((resolve) => releases.push(resolve))
        return `v${key}`
      },
      many: async (keys) => {
        calls.push([...keys])
        await new Promise<void>((resolve) => releases.push(resolve))
        return keys.map((k) => `v${k}`)
      },
      maxBatch: 10,
      maxInFlight: 1,
    })
    const turn = () => new Promise((resolve) => setImmediate(resolve))
    const first = lookup(1)
    await turn()
    expect(calls).toEqual([[1]])
    // Asked over several turns while the first statement is out: they wait, together.
    const later = [lookup(2)]
    await turn()
    later.push(lookup(3), lookup(4))
    await turn()
    expect(calls).toEqual([[1]])
    releases.shift()!()
    expect(await first).toBe('v1')
    // The slot frees after the answer is handed out; the gathered lookups leave in the turn after.
    await turn()
    await turn()
    expect(calls).toEqual([[1], [2, 3, 4]])
    releases.shift()!()
    expect(await Promise.all(later)).toEqual(['v2', 'v3', 'v4'])
    // And when nothing is out, a lookup leaves in its own turn again.
    const alone = lookup(5)
    await turn()
    expect(calls).toEqual([[1], [2, 3, 4], [5]])
    releases.shift()!()
    expect(await alone).toBe('v5')
  })

  it('frees its slot when a statement fails, so later lookups still go', async () => {
    let fail = true
    const lookup = createLookupBatcher<number, string>({
      one: async (key) => {
        if (fail) throw new Error('connection lost')
        return `v${key}`
      },
      many: async (keys) => keys.map((k) => `v${k}`),
      maxBatch: 10,
      maxInFlight: 1,
    })
    await expect(lookup(1)).rejects.toThrow('connection lost')
    fail = false
    expect(await lookup(2)).toBe('v2')
  })
})
