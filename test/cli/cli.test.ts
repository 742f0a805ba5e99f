// The operator CLI as an operator runs it: a real process against the configured database.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { voucherPinMatches } from '../../src/adapters/payment/voucher-pin.ts'
import { deriveKeys } from '../../src/config/keys.ts'
import { verifyPassword } from '../../src/staff/password.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { freeradiusPath, peerAvailable } from '../helpers/peers.ts'
import { runCli } from '../helpers/process.ts'
import { type FreeRadius, startFreeRadius } from '../radius/helpers/freeradius.ts'

const APP_SECRET = 'cli-test-master-secret-0123456789abcdef'

describe('the recharge-gateway CLI', { timeout: 120_000 }, () => {
  let t: TestDatabase
  let dir: string
  let env: Record<string, string>

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rg-cli-'))
    t = await createTestDatabase()
    // Server mode against the test's database, or an embedded database of the CLI's own.
    env = t.url ? { DATABASE_URL: t.url, APP_SECRET } : { DATA_DIR: join(dir, 'data'), APP_SECRET }
  })
  afterAll(async () => {
    await t.destroy()
    rmSync(dir, { recursive: true, force: true })
  })

  const cli = (args: string[], stdin = '') => runCli(args, env, stdin)

  it('imports nothing from a file with problems and names each problem with its line number', async () => {
    const file = join(dir, 'bad.csv')
    writeFileSync(file, 'serial,pin\nGOOD-0001,12345678\nx,1\nGOOD-0002,abc\nGOOD-0001,87654321\nGOOD-0003,1,2\n')
    const run = await cli(['import-vouchers', '--batch', 'bad', '--value', '50', file])
    expect(run.code).toBe(1)
    expect(run.err).toContain('4 problem(s); nothing imported')
    expect(run.err).toContain('line 3: serial must be 4–40 letters, digits or dashes')
    expect(run.err).toContain('line 4: PIN of GOOD-0002 must be 4–32 digits')
    expect(run.err).toContain('line 5: serial GOOD-0001 already on line 2')
    expect(run.err).toContain('line 6: expected 2 fields (serial,pin), found 3')
    expect(run.err).not.toContain('12345678')
  })

  it('imports a clean file with hashed PINs, and re-importing it changes nothing', async () => {
    const file = join(dir, 'cards.csv')
    const lines = Array.from({ length: 12_000 }, (_, i) => `CLI-${String(i).padStart(6, '0')},${String(100_000_000 + i)}`)
    writeFileSync(file, `serial,pin\n${lines.join('\n')}\n`)
    const first = await cli(['import-vouchers', '--batch', 'cli-20', '--value', '20.00', file])
    expect(first.err).toMatch(/imported 12000\/12000 \(100%\)/)
    expect(first.out).toMatch(/12000 cards, 12000 imported, 0 already present, 0 conflicts/)
    expect(first.code).toBe(0)
    const again = await cli(['import-vouchers', '--batch', 'cli-20', '--value', '20.00', file])
    expect(again.out).toMatch(/12000 cards, 0 imported, 12000 already present, 0 conflicts/)
    expect(again.code).toBe(0)
    if (t.url) {
      const key = deriveKeys(APP_SECRET).voucherPin
      const row = await t.handle.db.selectFrom('vouchers').select(['serial', 'pinHash', 'status']).where('serial', '=', 'CLI-000042').executeTakeFirstOrThrow()
      expect(row.status).toBe('unused')
      expect(voucherPinMatches(key, 'CLI-000042', '100000042', row.pinHash)).toBe(true)
      const count = await t.handle.db.selectFrom('vouchers').select((eb) => eb.fn.countAll<number>().as('n')).where('serial', 'like', 'CLI-%').executeTakeFirstOrThrow()
      expect(count.n).toBe(12_000)
    }
  })

  it('reports a serial that exists with another PIN as a conflict and leaves it alone', async () => {
    const file = join(dir, 'conflict.csv')
    writeFileSync(file, 'CLI-000001,999999999\nCLI-NEW-1,12121212\n')
    const run = await cli(['import-vouchers', '--batch', 'cli-20', '--value', '20', file])
    expect(run.code).toBe(1)
    expect(run.out).toMatch(/2 cards, 1 imported, 0 already present, 1 conflicts/)
    expect(run.err).toContain('line 1: serial CLI-000001 already exists with another PIN or batch (not changed)')
  })

  it('refuses cards of another value for an existing batch', async () => {
    const file = join(dir, 'other-value.csv')
    writeFileSync(file, 'CLI-X-0001,12345678\n')
    const run = await cli(['import-vouchers', '--batch', 'cli-20', '--value', '50', file])
    expect(run.code).toBe(1)
    expect(run.err).toMatch(/batch cli-20 exists with value 20 CNY; refusing/)
  })

  it('creates a staff user from a password on standard input, never from the command line', async () => {
    const refused = await cli(['create-staff', '--username', 'ops.lee', '--role', 'operator'])
    expect(refused.code).toBe(1)
    expect(refused.err).toMatch(/--password-stdin/)
    const created = await cli(['create-staff', '--username', 'ops.lee', '--role', 'operator', '--password-stdin'], 'a long enough password\n')
    expect(created.out).toBe('created operator ops.lee\n')
    expect(created.code).toBe(0)
    const twice = await cli(['create-staff', '--username', 'ops.lee', '--role', 'operator', '--password-stdin'], 'a long enough password\n')
    expect(twice.err).toMatch(/already exists/)
    if (t.url) {
      const row = await t.handle.db.selectFrom('staffUsers').selectAll().where('username', '=', 'ops.lee').executeTakeFirstOrThrow()
      expect(await verifyPassword('a long enough password', row.passwordHash)).toBe(true)
    }
  })

  const freeradius = freeradiusPath()
  const haveRadius = peerAvailable('FreeRADIUS server', freeradius ? undefined : 'freeradius not installed (apt-get install freeradius)')
  describe.skipIf(!haveRadius)('test-coa', () => {
    let radius: FreeRadius
    beforeAll(async () => {
      radius = await startFreeRadius(freeradius!, 'cli-coa-secret')
      const setup = await cli(['migrate'])
      expect(setup.code).toBe(0)
    })
    afterAll(async () => {
      await radius?.stop()
    })

    it('sends a CoA to a configured NAS and shows the ACK, or the NAK with its Error-Cause', async () => {
      if (!t.url) {
        // The CLI's embedded database is its own: register the NAS through SQL in that database
        // is not possible from here, so this case runs in the server-mode pass.
        return
      }
      await t.handle.db
        .insertInto('nasClients')
        .values({ name: 'cli-nas', address: '127.0.0.1', secret: 'cli-coa-secret', realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: radius.port, liftProfile: 'coa' })
        .execute()
      const ack = await cli(['test-coa', '--nas', 'cli-nas', '--session', 'sess-1', '--ip', '10.0.0.1'])
      expect(ack.out).toMatch(/^coa to 127\.0\.0\.1:\d+: ACK after 1 send\(s\)/)
      expect(ack.code).toBe(0)
      const nak = await cli(['test-coa', '--nas', 'cli-nas', '--session', 'gone', '--disconnect'])
      expect(nak.out).toMatch(/^disconnect to .*: NAK \(Error-Cause 503\)/)
      expect(nak.code).toBe(1)
      const unknown = await cli(['test-coa', '--nas', 'nope', '--session', 'x'])
      expect(unknown.err).toBe('recharge-gateway: no NAS client named nope\n')
    })
  })
})
