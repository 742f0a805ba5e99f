// The identification statements go to PostgreSQL as named prepared statements (parsed once per
// connection, then reused, with the right answer every time); everything else is sent as before.
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { preparedStatement } from '../../src/db/prepared-statements.ts'
import { findActiveIpv4Session, findActiveIpv4SessionsWithAccounts, findActiveIpv4SessionWithAccount } from '../../src/db/session-lines.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { addLines, addNasClient, startSessions } from '../helpers/fixtures.ts'

const onServer = (process.env.DATABASE_URL ?? '') !== ''
const SINCE = new Date(Date.now() - 60 * 60_000)
const lines = Array.from({ length: 8 }, (_, i) => ({ msisdn: `86138000002${i}0`, address: `10.2.0.${i + 1}` }))

describe('prepared identification statements', () => {
  let t: TestDatabase

  beforeAll(async () => {
    t = await createTestDatabase()
    const nasId = await addNasClient(t.handle.db, { name: 'pgw', address: '192.0.2.40/32', realm: 'default' })
    await startSessions(t.handle.db, lines.map((l, i) => ({ nasId, acctSessionId: `p-${i}`, msisdn: l.msisdn, framedIp: l.address })))
    await addLines(t.handle.db, lines.map((l, i) => ({ msisdn: l.msisdn, balanceMinor: -100 * (i + 1), status: 'suspended' as const, suspensionReason: 'arrears' as const })))
  })
  afterAll(async () => {
    await t?.destroy()
  })

  it('answer right on every execution, past the point where PostgreSQL may switch to a generic plan', async () => {
    for (let round = 0; round < 2; round++) {
      for (const [i, l] of lines.entries()) {
        expect((await findActiveIpv4Session(t.handle.db, 'default', l.address, SINCE))?.msisdn).toBe(l.msisdn)
        const found = await findActiveIpv4SessionWithAccount(t.handle.db, 'default', l.address, SINCE)
        expect(found?.account).toMatchObject({ msisdn: l.msisdn, balanceMinor: -100 * (i + 1), status: 'suspended', suspensionReason: 'arrears' })
        expect(await findActiveIpv4Session(t.handle.db, 'other-realm', l.address, SINCE)).toBeUndefined()
      }
    }
  })

  it('answer several lookups in one statement, each with its own line, in the order asked', async () => {
    const asked = [...lines.entries()].reverse().flatMap(([i, l]) => [
      { realm: 'default', address: l.address, seenSince: SINCE, expect: { msisdn: l.msisdn, balanceMinor: -100 * (i + 1) } },
      { realm: 'other-realm', address: l.address, seenSince: SINCE, expect: undefined },
    ])
    asked.push({ realm: 'default', address: '10.2.0.200', seenSince: SINCE, expect: undefined })
    asked.push({ realm: 'default', address: lines[0]!.address, seenSince: new Date(Date.now() + 60_000), expect: undefined })
    for (let round = 0; round < 2; round++) {
      const found = await findActiveIpv4SessionsWithAccounts(t.handle.db, asked)
      expect(found).toHaveLength(asked.length)
      for (const [i, a] of asked.entries()) {
        if (a.expect === undefined) expect(found[i]).toBeUndefined()
        else {
          expect(found[i]?.session.msisdn).toBe(a.expect.msisdn)
          expect(found[i]?.account).toMatchObject({ ...a.expect, status: 'suspended', suspensionReason: 'arrears' })
        }
      }
    }
  })

  it.skipIf(!onServer)('are prepared by name on a PostgreSQL connection; other statements are not', async () => {
    const names = await t.handle.db.connection().execute(async (conn) => {
      for (const l of lines) {
        await findActiveIpv4Session(conn, 'default', l.address, SINCE)
        await findActiveIpv4SessionWithAccount(conn, 'default', l.address, SINCE)
        await findActiveIpv4SessionsWithAccounts(conn, [{ realm: 'default', address: l.address, seenSince: SINCE }])
      }
      await sql`select 1`.execute(conn)
      const { rows } = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements order by name`.execute(conn)
      return rows
    })
    expect(names.map((r) => r.name)).toEqual(['rg_session_by_ipv4', 'rg_session_line_by_ipv4', 'rg_sessions_lines_by_ipv4'])
    expect(names[0]!.statement).toContain('from radius_sessions')
    expect(names[1]!.statement).toContain('left join lines')
    expect(names[2]!.statement).toContain('unnest(')
  })

  it('refuses one name for two different statements', () => {
    expect(() => preparedStatement('rg_session_by_ipv4', 'select 2')).toThrow(/rg_session_by_ipv4 is taken/)
  })
})
