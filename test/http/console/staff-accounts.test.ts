// Staff accounts in the console: an admin creates a user who can then sign in, disables them
// (their session ends at once) and enables them again, never themselves; each change is audited
// and no password reaches the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchAudit } from '../../../src/audit/audit-log.ts'
import { buildTestApp, type TestApp } from '../../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts'
import { type ConsoleSession, createStaffUser, signIn } from '../../helpers/staff.ts'

describe('console staff accounts', () => {
  let t: TestDatabase
  let test: TestApp
  let admin: ConsoleSession
  let adminId: number
  beforeAll(async () => {
    t = await createTestDatabase()
    test = await buildTestApp(t.handle)
    adminId = await createStaffUser(t.handle.db, 'ada.admin', 'admin')
    admin = await signIn(test.app, 'ada.admin')
  })
  afterAll(async () => {
    await test.app.close()
    await t.destroy()
  })

  it('creates an account that can sign in, refusing bad input and a taken name', async () => {
    expect((await admin.post('/console/staff', { username: 'Bad Name', role: 'support', password: 'long enough password' })).statusCode).toBe(400)
    expect((await admin.post('/console/staff', { username: 'sue.support', role: 'root', password: 'long enough password' })).statusCode).toBe(400)
    expect((await admin.post('/console/staff', { username: 'sue.support', role: 'support', password: 'short' })).statusCode).toBe(400)
    const created = await admin.post('/console/staff', { username: 'sue.support', role: 'support', password: 'long enough password' })
    expect(created.statusCode).toBe(303)
    expect((await admin.post('/console/staff', { username: 'sue.support', role: 'admin', password: 'another long password' })).statusCode).toBe(409)
    await expect(signIn(test.app, 'sue.support', 'long enough password')).resolves.toBeDefined()
    const audit = await searchAudit(t.handle.db, { action: 'staff.create' })
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({ actor: 'ada.admin', target: 'staff:sue.support', after: { username: 'sue.support', role: 'support' } })
    expect(JSON.stringify(audit)).not.toContain('long enough password')
  })

  it('disables an account (ending its sessions) and enables it again, but never the own one', async () => {
    const sue = await signIn(test.app, 'sue.support', 'long enough password')
    const id = (await t.handle.db.selectFrom('staffUsers').select('id').where('username', '=', 'sue.support').executeTakeFirstOrThrow()).id
    expect((await admin.post(`/console/staff/${id}/disable`, {})).statusCode).toBe(303)
    expect((await sue.get('/console/attempts')).statusCode).toBe(303)
    await expect(signIn(test.app, 'sue.support', 'long enough password')).rejects.toThrow(/401/)
    expect((await admin.post(`/console/staff/${id}/enable`, {})).statusCode).toBe(303)
    await expect(signIn(test.app, 'sue.support', 'long enough password')).resolves.toBeDefined()
    const self = await admin.post(`/console/staff/${adminId}/disable`, {})
    expect(self.statusCode).toBe(409)
    expect(self.body).toContain('cannot disable your own account')
    expect((await searchAudit(t.handle.db, { action: 'staff.' })).map((a) => a.action).filter((a) => a !== 'staff.login')).toEqual(['staff.enable', 'staff.disable', 'staff.create'])
  })

  it('is for admins only', async () => {
    await createStaffUser(t.handle.db, 'olga.ops', 'operator')
    const ops = await signIn(test.app, 'olga.ops')
    expect((await ops.get('/console/staff')).statusCode).toBe(403)
    expect((await ops.post('/console/staff', { username: 'x.y.z', role: 'admin', password: 'long enough password' })).statusCode).toBe(403)
  })
})
