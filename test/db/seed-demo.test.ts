import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { voucherPinMatches } from '../../src/adapters/payment/voucher-pin.ts'
import { deriveKeys } from '../../src/config/keys.ts'
import { loadMasterSecret } from '../../src/db/app-secrets.ts'
import { DEMO, seedDemo } from '../../src/db/seed-demo.ts'
import { verifyPassword } from '../../src/staff/password.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

describe('demo data', () => {
  let t: TestDatabase
  let keys: ReturnType<typeof deriveKeys>
  beforeAll(async () => {
    t = await createTestDatabase()
    keys = deriveKeys(await loadMasterSecret(t.handle.db, null))
    await seedDemo(t.handle.db, keys.voucherPin)
    await seedDemo(t.handle.db, keys.voucherPin) // a restart seeds again: nothing may change
  })
  afterAll(async () => {
    await t.destroy()
  })

  it('has the loopback NAS client with secret testing123 and CoA target 127.0.0.1:3799', async () => {
    const nas = await t.handle.db.selectFrom('nasClients').selectAll().execute()
    expect(nas).toHaveLength(1)
    expect(nas[0]).toMatchObject({ address: '127.0.0.0/8', secret: 'testing123', coaHost: '127.0.0.1', coaPort: 3799 })
  })

  it('has ten suspended lines at -10.00 CNY for arrears, whose ledger sums to their balance', async () => {
    const lines = await t.handle.db.selectFrom('lines').selectAll().orderBy('msisdn').execute()
    expect(lines.map((l) => l.msisdn)).toEqual(Array.from({ length: 10 }, (_, i) => `86138000000${String(i + 1).padStart(2, '0')}`))
    for (const line of lines) {
      expect(line).toMatchObject({ balanceMinor: -1000, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears' })
    }
    const mismatched = await sql`
      select l.msisdn from lines l left join ledger_entries e on e.msisdn = l.msisdn
      group by l.msisdn, l.balance_minor having l.balance_minor <> coalesce(sum(e.amount_minor), 0)`.execute(t.handle.db)
    expect(mismatched.rows).toEqual([])
  })

  it('has unused 50.00 CNY vouchers whose PINs verify and are not stored in clear', async () => {
    const rows = await t.handle.db
      .selectFrom('vouchers')
      .innerJoin('voucherBatches', 'voucherBatches.id', 'vouchers.batchId')
      .select(['serial', 'pinHash', 'status', 'valueMinor', 'currency'])
      .orderBy('serial')
      .execute()
    expect(rows).toHaveLength(DEMO.vouchers.length)
    for (const [i, row] of rows.entries()) {
      const demo = DEMO.vouchers[i]!
      expect(row).toMatchObject({ serial: demo.serial, status: 'unused', valueMinor: 5000, currency: 'CNY' })
      expect(row.pinHash.toString('latin1')).not.toContain(demo.pin)
      expect(voucherPinMatches(keys.voucherPin, demo.serial, demo.pin, row.pinHash)).toBe(true)
      expect(voucherPinMatches(keys.voucherPin, demo.serial, '000000000000', row.pinHash)).toBe(false)
    }
    // one voucher is enough to restore a demo line
    expect(DEMO.lineBalanceMinor + DEMO.voucherValueMinor).toBeGreaterThanOrEqual(0)
  })

  it('has a staff login whose password is stored as Argon2id', async () => {
    const staff = await t.handle.db.selectFrom('staffUsers').selectAll().execute()
    expect(staff).toHaveLength(1)
    expect(staff[0]!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(await verifyPassword(DEMO.staff.password, staff[0]!.passwordHash)).toBe(true)
  })

  it('keeps one master secret across instances and restarts', async () => {
    const first = await loadMasterSecret(t.handle.db, null)
    expect(await loadMasterSecret(t.handle.db, null)).toBe(first)
    expect(first.length).toBeGreaterThanOrEqual(40)
    expect(await loadMasterSecret(t.handle.db, 'x'.repeat(32))).toBe('x'.repeat(32))
  })
})
