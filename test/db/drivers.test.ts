import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseInt8 } from '../../src/db/int8.ts'
import { withTransaction } from '../../src/db/transaction.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

describe(`one query layer on both drivers (${process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite'})`, () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t.destroy()
  })

  it('returns bigint columns and counts as plain numbers', async () => {
    const db = t.handle.db
    await db
      .insertInto('lines')
      .values({ msisdn: '8613900000001', balanceMinor: 4_000_000_000_000, currency: 'CNY', status: 'active', suspensionReason: null })
      .execute()
    const line = await db.selectFrom('lines').selectAll().where('msisdn', '=', '8613900000001').executeTakeFirstOrThrow()
    expect(line.balanceMinor).toBe(4_000_000_000_000)
    expect(typeof line.restoreThresholdMinor).toBe('number')
    expect(line.createdAt).toBeInstanceOf(Date)
    const { count } = await db.selectFrom('lines').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
    expect(count).toBe(1)
  })

  it('fails loudly instead of rounding a 64-bit value beyond 2^53', async () => {
    expect(() => parseInt8('9007199254740993')).toThrow(/does not fit/)
    await expect(sql`select 9007199254740993::int8 as big`.execute(t.handle.db)).rejects.toThrow(/does not fit/)
  })

  it('maps camelCase in code to snake_case columns, and inet/cidr to text', async () => {
    const db = t.handle.db
    await db
      .insertInto('nasClients')
      .values({ name: 'pgw-a', address: '10.1.0.0/16', secret: 's3cret', realm: 'apn-a', requireMessageAuthenticator: true, coaHost: null, coaPort: 3799, liftProfile: 'coa' })
      .execute()
    const nas = await db.selectFrom('nasClients').selectAll().where('name', '=', 'pgw-a').executeTakeFirstOrThrow()
    expect(nas.address).toBe('10.1.0.0/16')
    expect(nas.requireMessageAuthenticator).toBe(true)
    const inside = await sql<{ name: string }>`select name from nas_clients where address >>= ${'10.1.2.3'}::inet`.execute(db)
    expect(inside.rows.map((r) => r.name)).toEqual(['pgw-a'])
  })

  it('rolls a transaction back as a whole and reuses an outer transaction', async () => {
    const db = t.handle.db
    await expect(
      withTransaction(db, async (trx) => {
        await trx.insertInto('lines').values({ msisdn: '8613900000002', balanceMinor: 0, currency: 'CNY', status: 'active', suspensionReason: null }).execute()
        await withTransaction(trx, async (inner) => {
          expect(inner).toBe(trx)
          await inner.insertInto('lines').values({ msisdn: '8613900000003', balanceMinor: 0, currency: 'CNY', status: 'active', suspensionReason: null }).execute()
        })
        throw new Error('abort')
      }),
    ).rejects.toThrow('abort')
    const rows = await db.selectFrom('lines').select('msisdn').where('msisdn', 'in', ['8613900000002', '8613900000003']).execute()
    expect(rows).toEqual([])
  })

  it('enforces the schema\'s checks (a suspended line needs a reason, money needs a currency code)', async () => {
    const db = t.handle.db
    await expect(
      db.insertInto('lines').values({ msisdn: '8613900000004', balanceMinor: 0, currency: 'CNY', status: 'suspended', suspensionReason: null }).execute(),
    ).rejects.toThrow(/check constraint/)
    await expect(
      db.insertInto('lines').values({ msisdn: '8613900000005', balanceMinor: 0, currency: 'yuan', status: 'active', suspensionReason: null }).execute(),
    ).rejects.toThrow()
  })
})
