import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateDown, migrateToLatest, pendingMigrations } from '../../src/db/migrate.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

describe(`migrations (${process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite'})`, () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase({ migrate: false })
  })
  afterAll(async () => {
    await t.destroy()
  })

  it('start with every migration pending, apply them all, and then have none pending', async () => {
    const pending = await pendingMigrations(t.handle.db)
    expect(pending.length).toBeGreaterThan(0)
    expect(pending).toEqual([...pending].sort())
    expect(await migrateToLatest(t.handle.db)).toEqual(pending)
    expect(await pendingMigrations(t.handle.db)).toEqual([])
    expect(await migrateToLatest(t.handle.db)).toEqual([])
  })

  it('go down one step at a time to an empty schema and back up', async () => {
    const all = (await t.handle.db.introspection.getTables()).map((table) => table.name)
    expect(all).toEqual(expect.arrayContaining(['lines', 'ledger_entries', 'nas_clients', 'vouchers', 'staff_users']))
    let undone: string[]
    do {
      undone = await migrateDown(t.handle.db)
    } while (undone.length > 0)
    const left = (await t.handle.db.introspection.getTables()).map((table) => table.name)
    expect(left.filter((name) => !name.startsWith('kysely_'))).toEqual([])
    await migrateToLatest(t.handle.db)
    expect(await pendingMigrations(t.handle.db)).toEqual([])
  })

  it('have every migration file named with a date prefix', async () => {
    const names = await pendingMigrationsOfFreshNames(t)
    for (const name of names) expect(name).toMatch(/^\d{4}-\d{2}-\d{2}-\d{4}-[a-z0-9-]+$/)
  })
})

async function pendingMigrationsOfFreshNames(t: TestDatabase): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(t.handle.db)
  return rows.rows.map((r) => r.name)
}
