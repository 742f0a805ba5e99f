// Voucher import in chunks against the real database: several chunks per file, conflicts found in
// any chunk reported by line in file order, re-import idempotent, progress to the end, and two
// imports of one file at once never storing a card twice or losing one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { voucherPinMatches } from '../../src/adapters/payment/voucher-pin.ts'
import { importVouchers, type VoucherCard } from '../../src/cli/import-vouchers.ts'
import { deriveKeys } from '../../src/config/keys.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

const key = deriveKeys('import-vouchers-test-master-secret-0123').voucherPin
const batch = { name: 'chunks-30', valueMinor: 3000, currency: 'CNY', expiresAt: null }
const cardsOf = (prefix: string, n: number): VoucherCard[] =>
  Array.from({ length: n }, (_, i) => ({ serial: `${prefix}-${String(i).padStart(6, '0')}`, pin: String(500_000_000 + i), line: i + 2 }))

describe('importVouchers', { timeout: 120_000 }, () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t.destroy()
  })

  it('imports a file of several chunks, then finds every card already present', async () => {
    const cards = cardsOf('CH', 45_000) // three chunks, the last one short
    const seen: number[] = []
    const first = await importVouchers(t.handle.db, key, batch, cards, (done, total) => {
      expect(total).toBe(45_000)
      seen.push(done)
    })
    expect(first).toEqual({ inserted: 45_000, alreadyPresent: 0, conflicts: [] })
    expect(seen.at(-1)).toBe(45_000)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    const again = await importVouchers(t.handle.db, key, batch, cards)
    expect(again).toEqual({ inserted: 0, alreadyPresent: 45_000, conflicts: [] })
    const last = await t.handle.db.selectFrom('vouchers').select(['pinHash', 'status']).where('serial', '=', 'CH-044999').executeTakeFirstOrThrow()
    expect(last.status).toBe('unused')
    expect(voucherPinMatches(key, 'CH-044999', '500044999', last.pinHash)).toBe(true)
    expect(voucherPinMatches(key, 'CH-044999', '500044998', last.pinHash)).toBe(false)
  })

  it('reports conflicts from every chunk by line, in file order, and imports the new cards', async () => {
    const cards = cardsOf('CH', 45_000)
    // Changed PINs in the third and first chunk, and new cards at the end.
    cards[40_001] = { ...cards[40_001]!, pin: '111111111' }
    cards[7] = { ...cards[7]!, pin: '222222222' }
    const added = cardsOf('CHNEW', 3).map((c, i) => ({ ...c, line: 45_002 + i }))
    const result = await importVouchers(t.handle.db, key, batch, [...cards, ...added])
    expect(result.inserted).toBe(3)
    expect(result.alreadyPresent).toBe(44_998)
    expect(result.conflicts).toEqual([
      { line: 9, problem: 'serial CH-000007 already exists with another PIN or batch (not changed)' },
      { line: 40_003, problem: 'serial CH-040001 already exists with another PIN or batch (not changed)' },
    ])
    const kept = await t.handle.db.selectFrom('vouchers').select('pinHash').where('serial', '=', 'CH-000007').executeTakeFirstOrThrow()
    expect(voucherPinMatches(key, 'CH-000007', '500000007', kept.pinHash)).toBe(true)
  })

  it('reports cards of another batch as conflicts and leaves them in their batch', async () => {
    const result = await importVouchers(t.handle.db, key, { ...batch, name: 'chunks-other' }, cardsOf('CH', 2))
    expect(result.inserted).toBe(0)
    expect(result.conflicts.map((c) => c.line)).toEqual([2, 3])
  })

  it('never stores a card twice when two imports of one file run at once', async () => {
    const cards = cardsOf('RACE', 30_000)
    const [a, b] = await Promise.all([importVouchers(t.handle.db, key, batch, cards), importVouchers(t.handle.db, key, batch, cards)])
    expect(a.inserted + b.inserted).toBe(30_000)
    for (const run of [a, b]) {
      expect(run.inserted + run.alreadyPresent + run.conflicts.length).toBe(30_000)
      for (const c of run.conflicts) expect(c.problem).toMatch(/added by another import running at the same time/)
    }
    const count = await t.handle.db.selectFrom('vouchers').select((eb) => eb.fn.countAll<number>().as('n')).where('serial', 'like', 'RACE-%').executeTakeFirstOrThrow()
    expect(Number(count.n)).toBe(30_000)
  })
})
