// The audit log is append-only for every role: UPDATE, DELETE and TRUNCATE are refused by a
// trigger (owner and superuser included) and by privileges for an application role; an entry
// commits or rolls back with the change it records.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordAudit, searchAudit } from '../../src/audit/audit-log.ts'
import { withTransaction } from '../../src/db/transaction.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

const kind = process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite'

describe(`audit log (${kind})`, () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t.destroy()
  })

  const actor = { name: 'ada.admin', id: 1, via: 'session' as const }

  it('record who, what, before/after and why, and find it again by actor, action prefix and target', async () => {
    const db = t.handle.db
    const id = await recordAudit(db, { actor, action: 'settings.update', target: 'settings', before: { amounts: [20] }, after: { amounts: [20, 50] }, reason: 'new price list', sourceAddress: '10.1.2.3', requestId: 'req-1' })
    await recordAudit(db, { actor: { name: 'cli', id: null, via: 'cli' }, action: 'staff.create', target: 'staff:bo' })
    const found = await searchAudit(db, { actor: 'ada.admin', action: 'settings.' })
    expect(found).toHaveLength(1)
    expect(found[0]).toMatchObject({ id, actor: 'ada.admin', actorId: 1, via: 'session', action: 'settings.update', target: 'settings', before: { amounts: [20] }, after: { amounts: [20, 50] }, reason: 'new price list', sourceAddress: '10.1.2.3', requestId: 'req-1' })
    expect(await searchAudit(db, { target: 'staff:b' })).toHaveLength(1)
    expect(await searchAudit(db, { target: '%' })).toHaveLength(0)
  })

  it('commit an entry with the change it records, or neither', async () => {
    const db = t.handle.db
    await expect(withTransaction(db, async (trx) => {
      await recordAudit(trx, { actor, action: 'test.rolled-back' })
      throw new Error('the change failed')
    })).rejects.toThrow('the change failed')
    expect(await searchAudit(db, { action: 'test.rolled-back' })).toEqual([])
  })

  it('refuse UPDATE, DELETE and TRUNCATE even for the owner', async () => {
    const db = t.handle.db
    await recordAudit(db, { actor, action: 'test.keep' })
    await expect(sql`update audit_log set reason = 'rewritten'`.execute(db)).rejects.toThrow(/append-only|permission denied/)
    await expect(sql`delete from audit_log`.execute(db)).rejects.toThrow(/append-only|permission denied/)
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only|permission denied/)
    expect((await searchAudit(db, { action: 'test.keep' })).length).toBe(1)
  })

  it('refuse them to an application role even when it was granted everything on the table', async () => {
    const db = t.handle.db
    const role = `rg_app_${Math.random().toString(36).slice(2, 8)}`
    await sql.raw(`create role ${role} nologin`).execute(db)
    await sql.raw(`grant select, insert, update, delete, truncate on audit_log to ${role}`).execute(db)
    await sql.raw(`grant usage on sequence audit_log_id_seq to ${role}`).execute(db)
    try {
      let refused: Error | undefined
      let inserted = false
      await withTransaction(db, async (trx) => {
        await sql.raw(`set local role ${role}`).execute(trx)
        await recordAudit(trx, { actor, action: 'test.as-app-role' })
        inserted = true
        refused = await sql`update audit_log set reason = 'x' where action = 'test.as-app-role'`.execute(trx).then(() => undefined, (err: Error) => err)
      }).catch(() => {}) // the refusal aborted the transaction; it is rolled back
      expect(inserted).toBe(true)
      expect(refused?.message).toMatch(/append-only: UPDATE refused/)
    } finally {
      await sql.raw(`revoke all on audit_log from ${role}`).execute(db)
      await sql.raw(`revoke all on sequence audit_log_id_seq from ${role}`).execute(db)
      await sql.raw(`drop role ${role}`).execute(db)
    }
  })

  it('keep the privileges revoked from PUBLIC', async () => {
    const rows = await sql<{ update: boolean; delete: boolean; truncate: boolean }>`
      select has_table_privilege('public', 'audit_log', 'UPDATE') as update,
             has_table_privilege('public', 'audit_log', 'DELETE') as delete,
             has_table_privilege('public', 'audit_log', 'TRUNCATE') as truncate`.execute(t.handle.db)
    expect(rows.rows[0]).toEqual({ update: false, delete: false, truncate: false })
  })
})
