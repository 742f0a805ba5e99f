// The audit log in the console: searchable by who, action prefix, target and time, paged, exported
// as CSV and JSON; the menu offers it only to roles holding audit:read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordAudit } from '../../../src/audit/audit-log.ts'
import { buildTestApp, type TestApp } from '../../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts'
import { type ConsoleSession, createStaffUser, signIn } from '../../helpers/staff.ts'

describe('console audit log', () => {
  let t: TestDatabase
  let test: TestApp
  let operator: ConsoleSession
  let support: ConsoleSession
  beforeAll(async () => {
    t = await createTestDatabase()
    test = await buildTestApp(t.handle)
    await createStaffUser(t.handle.db, 'olga.ops', 'operator')
    await createStaffUser(t.handle.db, 'sam.support', 'support')
    for (let i = 0; i < 105; i++) {
      await recordAudit(t.handle.db, { actor: { name: 'ada.admin', id: 1, via: 'session' }, action: 'nas.update', target: `nas:${i}`, before: { coaPort: 3799 }, after: { coaPort: 3800 + i }, reason: `<b>change ${i}</b>` })
    }
    operator = await signIn(test.app, 'olga.ops')
    support = await signIn(test.app, 'sam.support')
  })
  afterAll(async () => {
    await test.app.close()
    await t.destroy()
  })

  it('shows the menu entries a role may use, and only those', async () => {
    const ops = (await operator.get('/console')).body
    expect(ops).toContain('href="/console/audit"')
    expect(ops).not.toContain('href="/console/tokens"')
    const sup = (await support.get('/console')).body
    expect(sup).toContain('href="/console/attempts"')
    expect(sup).not.toContain('href="/console/audit"')
    expect((await support.get('/console/audit')).statusCode).toBe(403)
  })

  it('lists entries newest first, 100 a page with a link to older ones, escaped', async () => {
    const page = await operator.get('/console/audit?action=nas.')
    expect(page.statusCode).toBe(200)
    const targets = [...page.body.matchAll(/<td>(nas:\d+)<\/td>/g)].map((m) => m[1])
    expect(targets).toHaveLength(100)
    expect(targets[0]).toBe('nas:104')
    expect(page.body).toContain('&lt;b&gt;change 104&lt;/b&gt;')
    expect(page.body).not.toContain('<b>change')
    const older = /href="(\/console\/audit\?[^"]*before=\d+)"/.exec(page.body)![1]!.replace(/&amp;/g, '&')
    const rest = await operator.get(older)
    expect([...rest.body.matchAll(/<td>(nas:\d+)<\/td>/g)].map((m) => m[1])).toEqual(['nas:4', 'nas:3', 'nas:2', 'nas:1', 'nas:0'])
  })

  it('filters by target and time, and explains a time it cannot read', async () => {
    expect((await operator.get('/console/audit?target=nas:10')).body.match(/<td>nas:10\d?<\/td>/g)).toHaveLength(6)
    expect((await operator.get(`/console/audit?to=${new Date(Date.now() - 3_600_000).toISOString().slice(0, 16)}`)).body).toContain('No entries match.')
    expect((await operator.get('/console/audit?from=whenever')).body).toContain('Cannot read the time in')
  })

  it('exports the search as CSV and JSON downloads', async () => {
    const csv = await operator.get('/console/audit/export.csv?target=nas:104')
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="audit-.*\.csv"$/)
    expect(csv.body.trim().split('\r\n')).toHaveLength(2)
    const json = await operator.get('/console/audit/export.json?target=nas:104')
    expect(JSON.parse(json.body)).toEqual([expect.objectContaining({ target: 'nas:104', action: 'nas.update', after: { coaPort: 3904 } })])
  })
})
