// One batch through applySessionWrites mixing what the database function treats apart: sessions
// not stored yet (inserted at once), fresh sessions on an address someone holds (settled like the
// stored ones), and stored sessions (Stops, late records). Each test is one call, one statement.
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/schema.ts'
import { applySessionWrites, findActiveSessionByAddress, type SessionWrite, sessionKey } from '../../src/db/sessions.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { addNasClient } from '../helpers/fixtures.ts'

const T0 = Math.floor(Date.now() / 1000) * 1000 - 30 * 60_000
const at = (seconds: number) => new Date(T0 + seconds * 1000)
const EVER = new Date(0)

describe('applySessionWrites on one mixed batch', () => {
  let t: TestDatabase
  let db: Kysely<Database>
  let nas1: number
  let nas2: number

  beforeAll(async () => {
    t = await createTestDatabase()
    db = t.handle.db
    nas1 = await addNasClient(db, { name: 'mix-1', address: '192.0.2.41/32', realm: 'apn-m' })
    nas2 = await addNasClient(db, { name: 'mix-2', address: '192.0.2.42/32', realm: 'apn-m' })
  })
  afterAll(async () => {
    await t?.destroy()
  })

  const w = (acctSessionId: string, seconds: number, address: Partial<SessionWrite> = {}, nasId = nas1): SessionWrite => ({
    nasId,
    realm: 'apn-m',
    acctSessionId,
    msisdn: `86138${acctSessionId.length}${seconds}`.padEnd(13, '0'),
    imsi: null,
    framedIp: null,
    framedIpv6Prefix: null,
    delegatedIpv6Prefix: null,
    eventTime: at(seconds),
    stopReason: null,
    ...address,
  })
  const row = (nasId: number, acctSessionId: string) =>
    db.selectFrom('radiusSessions').selectAll().where('nasId', '=', nasId).where('acctSessionId', '=', acctSessionId).executeTakeFirstOrThrow()
  const keys = (...writes: SessionWrite[]) => new Set(writes.map(sessionKey))

  it('inserts new sessions, supersedes an older holder, yields to a newer one and applies a Stop, in one call', async () => {
    const olderHolder = w('mx-old', 10, { framedIp: '10.77.0.1' }, nas2)
    const newerHolder = w('mx-newer', 50, { framedIp: '10.77.0.2' }, nas2)
    const stopped = w('mx-stop', 10, { framedIp: '10.77.0.3' })
    expect(await applySessionWrites(db, [olderHolder, newerHolder, stopped])).toEqual(keys(olderHolder, newerHolder, stopped))

    const claims = w('mx-claims', 20, { framedIp: '10.77.0.1' })
    const late = w('mx-late', 30, { framedIp: '10.77.0.2' })
    const plain = w('mx-plain', 20, { framedIp: '10.77.0.4' })
    const stop = { ...w('mx-stop', 40, { framedIp: '10.77.0.3' }), stopReason: 'stop' }
    expect(await applySessionWrites(db, [claims, late, plain, stop])).toEqual(keys(claims, late, plain, stop))

    expect(await row(nas2, 'mx-old')).toMatchObject({ stoppedAt: at(20), stopReason: 'superseded' })
    expect(await row(nas1, 'mx-claims')).toMatchObject({ stoppedAt: null, framedIp: '10.77.0.1' })
    expect(await row(nas1, 'mx-late')).toMatchObject({ stoppedAt: at(50), stopReason: 'superseded' })
    expect(await row(nas2, 'mx-newer')).toMatchObject({ stoppedAt: null })
    expect(await row(nas1, 'mx-plain')).toMatchObject({ stoppedAt: null, startedAt: at(20), lastSeenAt: at(20) })
    expect(await row(nas1, 'mx-stop')).toMatchObject({ stoppedAt: at(40), stopReason: 'stop' })
    expect(await findActiveSessionByAddress(db, 'apn-m', '10.77.0.1', EVER)).toMatchObject({ acctSessionId: 'mx-claims' })
    expect(await findActiveSessionByAddress(db, 'apn-m', '10.77.0.2', EVER)).toMatchObject({ acctSessionId: 'mx-newer' })
    expect(await findActiveSessionByAddress(db, 'apn-m', '10.77.0.3', EVER)).toBeUndefined()
  })

  it('reports only the sessions it changed when new ones ride with a re-sent record', async () => {
    const first = w('mx-resent', 10, { framedIp: '10.77.1.1' })
    await applySessionWrites(db, [first])
    const fresh = w('mx-fresh', 15, { framedIp: '10.77.1.2' })
    expect(await applySessionWrites(db, [first, fresh])).toEqual(keys(fresh))
    expect(await applySessionWrites(db, [first, fresh])).toEqual(new Set())
  })

  it('supersedes the older holder of an IPv6 framed and of a delegated prefix when a new session claims them', async () => {
    const framedOld = w('mx-v6-old', 10, { framedIpv6Prefix: '2001:db8:77::/64' })
    const delegatedOld = w('mx-pd-old', 10, { delegatedIpv6Prefix: '2001:db8:7700::/56' }, nas2)
    await applySessionWrites(db, [framedOld, delegatedOld])
    const claims = w('mx-v6-new', 20, { framedIpv6Prefix: '2001:db8:77::/64', delegatedIpv6Prefix: '2001:db8:7700::/56' }, nas2)
    expect(await applySessionWrites(db, [claims])).toEqual(keys(claims))
    expect(await row(nas1, 'mx-v6-old')).toMatchObject({ stoppedAt: at(20), stopReason: 'superseded' })
    expect(await row(nas2, 'mx-pd-old')).toMatchObject({ stoppedAt: at(20), stopReason: 'superseded' })
    expect(await findActiveSessionByAddress(db, 'apn-m', '2001:db8:77::1', EVER)).toMatchObject({ acctSessionId: 'mx-v6-new' })
    expect(await findActiveSessionByAddress(db, 'apn-m', '2001:db8:7700:1::1', EVER)).toMatchObject({ acctSessionId: 'mx-v6-new' })
  })

  it('ends stored sessions on a batch of Stops, leaving the holder of an address a Stop names alone', async () => {
    const ending = [1, 2, 3].map((n) => w(`mx-end-${n}`, 10, { framedIp: `10.77.3.${n}` }))
    const holder = w('mx-end-holder', 15, { framedIp: '10.77.3.9' }, nas2)
    await applySessionWrites(db, [...ending, holder])
    const stops = ending.map((e, n) => ({ ...e, eventTime: at(40 + n), stopReason: 'stop' }))
    stops[2] = { ...stops[2]!, framedIp: '10.77.3.9' }
    expect(await applySessionWrites(db, stops)).toEqual(keys(...stops))
    for (const [n, e] of ending.entries()) expect(await row(nas1, e.acctSessionId)).toMatchObject({ stoppedAt: at(40 + n), stopReason: 'stop', lastSeenAt: at(40 + n) })
    expect(await row(nas2, 'mx-end-holder')).toMatchObject({ stoppedAt: null })
    expect(await findActiveSessionByAddress(db, 'apn-m', '10.77.3.9', EVER)).toMatchObject({ acctSessionId: 'mx-end-holder' })
    expect(await findActiveSessionByAddress(db, 'apn-m', '10.77.3.1', EVER)).toBeUndefined()
    expect(await applySessionWrites(db, stops)).toEqual(new Set())
  })

  it('leaves a new session stopped at its Stop without touching the holder of its address', async () => {
    const holder = w('mx-hold', 10, { framedIp: '10.77.2.1' })
    await applySessionWrites(db, [holder])
    const shortLived = { ...w('mx-short', 20, { framedIp: '10.77.2.1' }, nas2), stopReason: 'stop' }
    expect(await applySessionWrites(db, [shortLived])).toEqual(keys(shortLived))
    expect(await row(nas2, 'mx-short')).toMatchObject({ stoppedAt: at(20), stopReason: 'stop' })
    expect(await row(nas1, 'mx-hold')).toMatchObject({ stoppedAt: null })
  })
})
