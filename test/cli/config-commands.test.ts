// export-config, import-config and export-allowlist as an operator runs them: real processes
// against the configured database; an import is validated in full before anything is applied.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { searchAudit } from '../../src/audit/audit-log.ts'
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.ts'
import { findNasClientByName } from '../../src/db/nas-clients.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { runCli } from '../helpers/process.ts'

const GOOD = `version: 1
settings:
  hotline: "400 600 700"
  captiveApiUrl: https://portal.carrier.test/.well-known/captive-portal
nasClients:
  - name: bng-cli
    address: 192.0.2.40
    secret: cli-imported-secret
`

describe('export-config, import-config, export-allowlist', { timeout: 120_000 }, () => {
  let dir: string
  let t: TestDatabase
  let env: Record<string, string>
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rg-config-'))
    t = await createTestDatabase()
    const base = { APP_SECRET: 'config-test-master-secret-0123456789', PORTAL_URL: 'http://127.0.0.1:8080' }
    env = t.url ? { ...base, DATABASE_URL: t.url } : { ...base, DATA_DIR: join(dir, 'data') }
  })
  afterAll(async () => {
    await t.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  const cli = (args: string[]) => runCli(args, env)
  const file = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  async function withDb<T>(work: (handle: DatabaseHandle) => Promise<T>): Promise<T> {
    const handle = t.url ? t.handle : await openDatabase({ kind: 'embedded', dataDir: join(dir, 'data') })
    try {
      return await work(handle)
    } finally {
      if (!t.url) await handle.close()
    }
  }

  it('reports every problem of a bad file with its path and applies nothing', async () => {
    const bad = await cli(['import-config', file('bad.yaml', 'version: 1\nsettings: { amounts: [0] }\nnasClients:\n  - { name: new-nas, address: 192.0.2.41 }\n')])
    expect(bad.code).toBe(1)
    expect(bad.err).toContain('2 problem(s); nothing applied')
    expect(bad.err).toContain('  settings.amounts[0]: "0" is not a positive amount like 50 or 49.90')
    // The database-dependent check (a new NAS needs its secret) runs before anything is written too.
    const noSecret = await cli(['import-config', file('nosecret.yaml', 'version: 1\nnasClients:\n  - { name: new-nas, address: 192.0.2.41 }\n')])
    expect(noSecret.code).toBe(1)
    expect(noSecret.err).toContain('nasClients[0].secret: new-nas is a new NAS client: give its shared secret')
    expect((await cli(['export-config'])).out).toContain('nasClients: []')
  })

  it('imports a file (a dry run first), exports it back without the secret, and audits the import', async () => {
    const dry = await cli(['import-config', file('good.yaml', GOOD), '--dry-run'])
    expect(dry.code).toBe(0)
    expect(dry.out).toContain('would apply (dry run, nothing changed)')
    expect(dry.out).toContain('NAS added: bng-cli')
    expect((await cli(['export-config'])).out).not.toContain('bng-cli')

    const applied = await cli(['import-config', join(dir, 'good.yaml'), '--reason', 'site A go-live'])
    expect(applied.code).toBe(0)
    expect(applied.out).toContain('settings set: hotline, captiveApiUrl')
    const exported = await cli(['export-config'])
    expect(exported.out).toContain('name: bng-cli')
    expect(exported.out).toContain('hotline: 400 600 700')
    expect(exported.out).not.toContain('cli-imported-secret')

    await withDb(async (handle) => {
      expect((await findNasClientByName(handle.db, 'bng-cli'))?.secret).toBe('cli-imported-secret')
      const [entry] = await searchAudit(handle.db, { action: 'settings.import', limit: 1 })
      expect(entry).toMatchObject({ actor: 'cli', via: 'cli', reason: 'site A go-live' })
      expect(JSON.stringify(entry)).not.toContain('cli-imported-secret')
    })
  })

  it('exports the walled-garden allowlist with the portal and the RFC 8908 API host', async () => {
    const text = await cli(['export-allowlist'])
    // The payment provider is on the list too when card payments are configured (the embedded sandbox).
    expect(text.out).toMatch(/^# portal(, payment)?: 127\.0\.0\.1 -> 127\.0\.0\.1$/m)
    expect(text.out).toMatch(/^portal\.carrier\.test$/m)
    const addresses = await cli(['export-allowlist', '--only', 'addresses'])
    expect(addresses.out.split('\n')).toContain('127.0.0.1')
    const json = JSON.parse((await cli(['export-allowlist', '--format', 'json'])).out)
    expect(json.entries).toContainEqual(expect.objectContaining({ host: 'portal.carrier.test', purposes: ['captive-api'] }))
    // portal.carrier.test does not resolve: the exit code says the list is incomplete.
    expect(text.code).toBe(1)
  })
})
