// identify(facts, { withAccount: true }): with the built-in ledger in the same database, the line's
// account comes back with the identification (one statement), exactly as billing would report it;
// everywhere else the answer is the plain identification and billing is asked separately.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBuiltInBilling } from '../../src/adapters/billing/built-in-billing.ts'
import { createIdentifier, type Identification, type RequestFacts } from '../../src/identification/identify.ts'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import type { IdentificationConfig } from '../../src/config/load-config.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { addLines, addNasClient, sessionRecord } from '../helpers/fixtures.ts'

const ARREARS = '8613800000101'
const ACTIVE = '8613800000102'
const NOT_IN_LEDGER = '8613800000103'
const OLDER = '8613800000104'
const NEWER = '8613800000105'
const IPV6 = '8613800000106'
const STALE = '8613800000107'
const MAX_AGE_MS = 15 * 60_000

function facts(socketAddress: string): RequestFacts {
  return { socketAddress, localAddress: '', localPort: 0, headers: {} }
}

describe('identify with the line account in the same statement', () => {
  let t: TestDatabase
  let config: IdentificationConfig

  beforeAll(async () => {
    t = await createTestDatabase()
    const db = t.handle.db
    config = loadConfig({}).identification
    const nasId = await addNasClient(db, { name: 'pgw', address: '192.0.2.30/32', realm: 'default' })
    await addLines(db, [
      { msisdn: ARREARS, balanceMinor: -1250, status: 'suspended', suspensionReason: 'arrears' },
      { msisdn: ACTIVE, balanceMinor: 800, status: 'active' },
      { msisdn: OLDER, balanceMinor: -1, status: 'suspended', suspensionReason: 'arrears' },
      { msisdn: NEWER, balanceMinor: -2, status: 'suspended', suspensionReason: 'fraud' },
      { msisdn: IPV6, balanceMinor: -3, status: 'suspended', suspensionReason: 'arrears' },
      { msisdn: STALE, balanceMinor: -4, status: 'suspended', suspensionReason: 'arrears' },
    ])
    const recorder = createSessionRecorder(db, { touchAfterMs: 60_000 })
    const now = Date.now() - 5_000
    const start = (acctSessionId: string, fields: { framedIp?: string; framedIpv6Prefix?: string; msisdn: string | null }, at = now) =>
      recorder.record(sessionRecord('start', { nasId, realm: 'default', acctSessionId, eventTime: new Date(at), ...fields }))
    await start('s-arrears', { framedIp: '10.1.0.1', msisdn: ARREARS })
    await start('s-active', { framedIp: '10.1.0.2', msisdn: ACTIVE })
    await start('s-unknown', { framedIp: '10.1.0.3', msisdn: NOT_IN_LEDGER })
    await start('s-no-number', { framedIp: '10.1.0.4', msisdn: null })
    // Two active sessions on one address (the recorder supersedes the older one on a Start, so
    // this is what a table looks like between writes from two NASes): inserted as they stand.
    const row = (acctSessionId: string, msisdn: string, startedAt: Date) =>
      ({ nasId, realm: 'default', acctSessionId, msisdn, imsi: null, framedIp: '10.1.0.5', framedIpv6Prefix: null, delegatedIpv6Prefix: null, startedAt, lastSeenAt: new Date(now), stoppedAt: null, stopReason: null })
    await db.insertInto('radiusSessions').values([row('s-newer', NEWER, new Date(now - 1_000)), row('s-older', OLDER, new Date(now - 60_000))]).execute()
    await start('s-v6', { framedIpv6Prefix: '2001:db8:9::/64', msisdn: IPV6 })
    await start('s-stale', { framedIp: '10.1.0.7', msisdn: STALE }, now - 2 * MAX_AGE_MS)
  })
  afterAll(async () => {
    await t?.destroy()
  })

  const identifier = (ledgerInDatabase: boolean) =>
    createIdentifier({ db: t.handle.db, config, redirectTokenKey: Buffer.alloc(32, 7), sessionMaxAgeMs: MAX_AGE_MS, ledgerInDatabase })

  function line(who: Identification): string {
    if (!who.identified) throw new Error(`not identified: ${who.reason}`)
    return who.msisdn
  }

  it('returns the account billing reports for the identified line', async () => {
    const billing = createBuiltInBilling(t.handle.db)
    for (const [address, msisdn] of [['10.1.0.1', ARREARS], ['10.1.0.2', ACTIVE]] as const) {
      const who = await identifier(true).identify(facts(address), { withAccount: true })
      expect(line(who)).toBe(msisdn)
      expect(who.identified && who.how).toBe('address')
      const account = who.identified ? who.account : undefined
      expect(account).toEqual(await billing.getAccount(msisdn))
      expect(account).not.toBeNull()
    }
  })

  it('says null for a line the ledger does not know', async () => {
    const who = await identifier(true).identify(facts('10.1.0.3'), { withAccount: true })
    expect(line(who)).toBe(NOT_IN_LEDGER)
    expect(who.identified && who.account).toBeNull()
  })

  it('takes the newest active session at the address, and that line’s account', async () => {
    const who = await identifier(true).identify(facts('10.1.0.5'), { withAccount: true })
    expect(line(who)).toBe(NEWER)
    expect(who.identified && who.account).toMatchObject({ msisdn: NEWER, status: 'suspended', suspensionReason: 'fraud', balanceMinor: -2 })
    expect(line(await identifier(true).identify(facts('10.1.0.5')))).toBe(NEWER)
  })

  it('answers as without the account when there is no usable session', async () => {
    for (const withAccount of [true, false]) {
      const id = identifier(true)
      expect(await id.identify(facts('10.1.0.4'), { withAccount })).toEqual({ identified: false, realm: 'default', address: '10.1.0.4', reason: 'session_without_msisdn' })
      expect(await id.identify(facts('10.1.0.7'), { withAccount })).toEqual({ identified: false, realm: 'default', address: '10.1.0.7', reason: 'no_session' })
      expect(await id.identify(facts('10.1.0.99'), { withAccount })).toEqual({ identified: false, realm: 'default', address: '10.1.0.99', reason: 'no_session' })
    }
  })

  it('gives every page asked for in the same turn its own answer when the lookups share a statement', async () => {
    // Counts the statements the identifier sends (every result passes the plugins once).
    let statements = 0
    const counted = t.handle.db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        statements++
        return args.result
      },
    })
    const id = createIdentifier({ db: counted, config, redirectTokenKey: Buffer.alloc(32, 7), sessionMaxAgeMs: MAX_AGE_MS, ledgerInDatabase: true })
    const billing = createBuiltInBilling(t.handle.db)
    const cases = [
      ['10.1.0.1', ARREARS],
      ['10.1.0.2', ACTIVE],
      ['10.1.0.3', NOT_IN_LEDGER],
      ['10.1.0.4', 'session_without_msisdn'],
      ['10.1.0.5', NEWER],
      ['10.1.0.7', 'no_session'],
      ['10.1.0.99', 'no_session'],
      ['10.1.0.1', ARREARS],
    ] as const
    // Started together: one statement carries them all (in reverse too, so order is not luck).
    for (const order of [cases, [...cases].reverse()]) {
      statements = 0
      const answers = await Promise.all(order.map(([address]) => id.identify(facts(address), { withAccount: true })))
      expect(statements).toBe(1)
      for (const [i, [address, expected]] of order.entries()) {
        const who = answers[i]!
        expect(who.address).toBe(address)
        if (expected === 'no_session' || expected === 'session_without_msisdn') {
          expect(who).toEqual({ identified: false, realm: 'default', address, reason: expected })
          continue
        }
        expect(line(who)).toBe(expected)
        expect(who.identified && who.account).toEqual(expected === NOT_IN_LEDGER ? null : await billing.getAccount(expected))
      }
    }
  })

  it('leaves the account to billing without withAccount, without the ledger, and for IPv6', async () => {
    const plain = await identifier(true).identify(facts('10.1.0.1'))
    const noLedger = await identifier(false).identify(facts('10.1.0.1'), { withAccount: true })
    const v6 = await identifier(true).identify(facts('2001:db8:9::1234'), { withAccount: true })
    for (const [who, msisdn] of [[plain, ARREARS], [noLedger, ARREARS], [v6, IPV6]] as const) {
      expect(line(who)).toBe(msisdn)
      expect(who).not.toHaveProperty('account')
    }
    const joined = await identifier(true).identify(facts('10.1.0.1'), { withAccount: true })
    const { account: _account, ...rest } = joined as Extract<Identification, { identified: true }>
    expect(rest).toEqual(plain)
  })
})
