import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runNode, waitFor } from '../helpers/process.ts'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rg-main-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

// Real processes each start an embedded PostgreSQL: slow on a busy two-core machine.
describe('the gateway process', { timeout: 120_000 }, () => {
  it('refuses a bad configuration with one readable message listing every problem, exit 2, no stack', async () => {
    const run = runNode('src/main.ts', [], { PORT: 'abc', DATABASE_URL: 'mysql://db/x', LOG_LEVEL: 'chatty' })
    expect(await run.exited).toBe(2)
    const err = run.stderr()
    expect(err).toMatch(/^recharge-gateway: cannot start: invalid configuration:\n/)
    expect(err).toContain('  - PORT: expected a whole number from 0 to 65535, got "abc"')
    expect(err).toContain('  - DATABASE_URL: scheme must be postgresql:// or postgres://')
    expect(err).toContain('  - LOG_LEVEL: expected one of')
    expect(err).not.toMatch(/\n\s+at /)
    expect(run.stdout()).toBe('')
  })

  it('refuses an unreachable database with one message that hides the password, exit 1', async () => {
    const port = await freePort() // nothing listens there
    const run = runNode('src/main.ts', [], { DATABASE_URL: `postgresql://app:hunter2@127.0.0.1:${port}/gateway` })
    expect(await run.exited).toBe(1)
    expect(run.stderr()).toMatch(new RegExp(`^recharge-gateway: cannot start: cannot reach postgresql://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/gateway: .*ECONNREFUSED`))
    expect(run.stderr()).not.toContain('hunter2')
    expect(run.stderr()).not.toMatch(/\n\s+at /)
  })

  it('starts on the embedded default, prints the demo data, serves /healthz and /readyz, and exits 0 within 10 s of SIGTERM', async () => {
    const port = await freePort()
    const dataDir = tempDir()
    const run = runNode('src/main.ts', [], { PORT: String(port), HOST: '127.0.0.1', RADIUS_ACCT_PORT: '0', DATA_DIR: dataDir })
    try {
      await waitFor(() => run.stdout().includes('DEMO DATA'), 60_000, 'the demo banner')
      expect(run.stdout()).toContain('127.0.0.0/8  secret testing123')
      expect(run.stdout()).toContain('8613800000001 … 8613800000010')
      expect(await get(port, '/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' })
      expect((await get(port, '/readyz')).status).toBe(200)

      // A second gateway on the same embedded data directory would corrupt it: refused.
      const second = runNode('src/main.ts', [], { PORT: String(await freePort()), DATA_DIR: dataDir })
      expect(await second.exited).toBe(1)
      expect(second.stderr()).toMatch(/embedded database in .* is in use by process \d+/)

      const signalled = Date.now()
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
      expect(Date.now() - signalled).toBeLessThan(10_000)
      expect(run.stdout()).toContain('"msg":"stopped"')
    } finally {
      run.child.kill('SIGKILL')
    }
  })

  it('keeps the embedded data across restarts and does not seed twice', async () => {
    const dataDir = tempDir()
    for (let round = 0; round < 2; round++) {
      const port = await freePort()
      const run = runNode('src/main.ts', [], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, RADIUS_ACCT_PORT: '0' })
      await waitFor(() => run.stdout().includes('DEMO DATA'), 60_000, 'the demo banner')
      if (round === 0) expect(run.stdout()).toContain('migrations applied')
      else expect(run.stdout()).not.toContain('migrations applied')
      run.child.kill('SIGINT')
      expect(await run.exited).toBe(0)
    }
  })

  it('reports a port that is already taken in one line', async () => {
    const { createServer } = await import('node:net')
    const blocker = createServer().listen(0, '127.0.0.1')
    await new Promise((r) => blocker.once('listening', r))
    const port = (blocker.address() as { port: number }).port
    const run = runNode('src/main.ts', [], { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: 'memory', RADIUS_ACCT_PORT: '0' })
    expect(await run.exited).toBe(1)
    blocker.close()
    expect(run.stderr()).toBe(`recharge-gateway: cannot start: HTTP port 127.0.0.1:${port} is already in use (set PORT)\n`)
  })
})

describe('the CLI', { timeout: 120_000 }, () => {
  it('migrates, reports status, and rejects unknown commands', async () => {
    const dataDir = tempDir()
    const status = runNode('src/cli.ts', ['migrate', '--status'], { DATA_DIR: dataDir })
    expect(await status.exited).toBe(1)
    expect(status.stdout()).toMatch(/^pending:\n {2}\d{4}-/)
    const up = runNode('src/cli.ts', ['migrate'], { DATA_DIR: dataDir })
    expect(await up.exited).toBe(0)
    expect(up.stdout()).toMatch(/^applied: \d{4}-\d{2}-\d{2}-0001-foundation\n/)
    const again = runNode('src/cli.ts', ['migrate', '--status'], { DATA_DIR: dataDir })
    expect(await again.exited).toBe(0)
    expect(again.stdout()).toBe('schema is current\n')
    const unknown = runNode('src/cli.ts', ['frobnicate'], {})
    expect(await unknown.exited).toBe(2)
    expect(unknown.stderr()).toMatch(/^recharge-gateway: unknown command "frobnicate"/)
  })
})

describe.skipIf(!process.env.DATABASE_URL)('the gateway process on a PostgreSQL server', { timeout: 120_000 }, () => {
  it('does not migrate on start, waits for `migrate` before serving, never seeds demo data', async () => {
    const { createTestDatabase } = await import('../helpers/database.ts')
    const t = await createTestDatabase({ migrate: false })
    const port = await freePort()
    const env = { DATABASE_URL: t.url!, PORT: String(port), HOST: '127.0.0.1', RADIUS_ACCT_PORT: '0' }
    const run = runNode('src/main.ts', [], env)
    try {
      await waitFor(() => run.stdout().includes('database schema is behind: run `npm run migrate`; waiting for it'), 60_000, 'the schema warning')
      await expect(get(port, '/healthz')).rejects.toThrow(/ECONNREFUSED/)
      const migrate = runNode('src/cli.ts', ['migrate'], { DATABASE_URL: t.url! })
      expect(await migrate.exited).toBe(0)
      await waitFor(() => run.stdout().includes('Server listening'), 60_000, 'the gateway to listen')
      expect((await get(port, '/readyz')).status).toBe(200)
      expect(run.stdout()).not.toContain('DEMO DATA')
      const lines = await t.handle.db.selectFrom('lines').select('msisdn').execute()
      expect(lines).toEqual([])
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
      await t.destroy()
    }
  })

  it('exits 0 on SIGTERM while still waiting for the schema', async () => {
    const { createTestDatabase } = await import('../helpers/database.ts')
    const t = await createTestDatabase({ migrate: false })
    const run = runNode('src/main.ts', [], { DATABASE_URL: t.url!, PORT: String(await freePort()), RADIUS_ACCT_PORT: '0' })
    try {
      await waitFor(() => run.stdout().includes('waiting for it'), 60_000, 'the schema warning')
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
      expect(run.stderr()).toBe('')
    } finally {
      run.child.kill('SIGKILL')
      await t.destroy()
    }
  })
})
