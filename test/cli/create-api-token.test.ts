// `recharge-gateway create-api-token` as an operator runs it: a real process prints a token once,
// the database keeps only its hash, the token opens the admin API with its role, and the
// creation is in the audit log.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchAudit } from '../../src/audit/audit-log.ts'
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.ts'
import { buildTestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { runCli } from '../helpers/process.ts'

describe('create-api-token', { timeout: 120_000 }, () => {
  let dir: string
  let t: TestDatabase
  let env: Record<string, string>
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rg-token-'))
    t = await createTestDatabase()
    env = t.url ? { DATABASE_URL: t.url, APP_SECRET: 'token-test-master-secret-0123456789' } : { DATA_DIR: join(dir, 'data'), APP_SECRET: 'token-test-master-secret-0123456789' }
  })
  afterAll(async () => {
    await t.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  const cli = (args: string[]) => runCli(args, env)

  it('prints a token once that opens the API with its role, stores only its hash, and audits the creation', async () => {
    expect((await cli(['create-api-token', '--name', 'x'])).err).toMatch(/usage: create-api-token/)
    expect((await cli(['create-api-token', '--name', 'noc.grafana', '--role', 'root'])).err).toMatch(/--role/)
    const created = await cli(['create-api-token', '--name', 'noc.grafana', '--role', 'support'])
    expect(created.code).toBe(0)
    const token = created.out.trim()
    expect(token).toMatch(/^rgw_[A-Za-z0-9_-]{43}$/)
    expect((await cli(['create-api-token', '--name', 'noc.grafana', '--role', 'support'])).err).toMatch(/already exists/)

    const handle: DatabaseHandle = t.url ? t.handle : await openDatabase({ kind: 'embedded', dataDir: join(dir, 'data') })
    try {
      const row = await handle.db.selectFrom('apiTokens').selectAll().where('name', '=', 'noc.grafana').executeTakeFirstOrThrow()
      expect(row.tokenHash.toString('hex')).not.toContain(Buffer.from(token).toString('hex'))
      expect(row.prefix).toBe(token.slice(0, 10))
      const audit = await searchAudit(handle.db, { action: 'api-token.create' })
      expect(audit[0]).toMatchObject({ actor: 'cli', via: 'cli', target: 'api-token:noc.grafana' })
      expect(JSON.stringify(audit)).not.toContain(token)
      const { app } = await buildTestApp(handle)
      try {
        const ok = await app.inject({ url: '/api/v1/attempts?msisdn=0077', headers: { authorization: `Bearer ${token}` } })
        expect(ok.statusCode).toBe(200)
        const forbidden = await app.inject({ url: '/api/v1/audit', headers: { authorization: `Bearer ${token}` } })
        expect(forbidden.statusCode).toBe(403)
      } finally {
        await app.close()
      }
    } finally {
      if (!t.url) await handle.close()
    }
  })
})
