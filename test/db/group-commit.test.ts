import { describe, expect, it } from 'vitest'
import { createGroupCommit } from '../../src/db/group-commit.ts'

describe('group commit', () => {
  it('writes a lone item at once and batches what arrives while a flush is in flight', async () => {
    const batches: number[][] = []
    let release: () => void = () => {}
    const commit = createGroupCommit<number, string>(async (items) => {
      batches.push(items)
      if (batches.length === 1) await new Promise<void>((r) => (release = r))
      return items.map((i) => `ok ${i}`)
    }, 100)
    const first = commit.submit(1)
    const rest = [2, 3, 4].map((i) => commit.submit(i))
    expect(commit.pending()).toBe(4)
    release()
    expect(await first).toBe('ok 1')
    expect(await Promise.all(rest)).toEqual(['ok 2', 'ok 3', 'ok 4'])
    expect(batches).toEqual([[1], [2, 3, 4]])
    await commit.drain()
    expect(commit.pending()).toBe(0)
  })

  it('keeps at most maxFlushes flushes in flight and never more than maxBatch items in one', async () => {
    let running = 0
    let peak = 0
    const sizes: number[] = []
    const commit = createGroupCommit<number, number>(async (items) => {
      running++
      peak = Math.max(peak, running)
      sizes.push(items.length)
      await new Promise((r) => setTimeout(r, 5))
      running--
      return items
    }, 3, 2)
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => commit.submit(i)))
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(peak).toBe(2)
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(20)
  })

  it('rejects every item of a failed batch, and goes on with the next', async () => {
    let calls = 0
    const commit = createGroupCommit<number, number>(async (items) => {
      calls++
      if (calls === 1) throw new Error('database down')
      return items
    }, 10)
    await expect(commit.submit(1)).rejects.toThrow('database down')
    expect(await commit.submit(2)).toBe(2)
  })
})
