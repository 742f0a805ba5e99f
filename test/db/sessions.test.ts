// The session store as the accounting server drives it: records go through the real recorder
// (group commit, state read, upserts) and are read back with the queries identification uses.
// One database for the file; every test uses its own addresses and Acct-Session-Ids.
import { type Kysely, sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/schema.ts'
import { expireSessions, findActiveSessionByAddress } from '../../src/db/sessions.ts'
import { canonicalPrefix, toAccountingRecord } from '../../src/identification/accounting-records.ts'
import { createSessionRecorder, type SessionRecorder } from '../../src/identification/session-recorder.ts'
import type { AccountingRequest } from '../../src/radius/accounting-server.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { addNasClient, type SessionFields, sessionRecord } from '../helpers/fixtures.ts'

const TOUCH_AFTER_MS = 60_000
// Event times are recent (so the max-age filter never hides them) and whole milliseconds.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 30 * 60_000
const at = (seconds: number) => new Date(T0 + seconds * 1000)
const EVER = new Date(0)

describe('session store', () => {
  let t: TestDatabase
  let db: Kysely<Database>
  let recorder: SessionRecorder
  let nas1: number
  let nas2: number
  let nas3: number

  beforeAll(async () => {
    t = await createTestDatabase()
    db = t.handle.db
    nas1 = await addNasClient(db, { name: 'pgw-1', address: '192.0.2.1/32', realm: 'apn-a' })
    nas2 = await addNasClient(db, { name: 'pgw-2', address: '192.0.2.2/32', realm: 'apn-a' })
    nas3 = await addNasClient(db, { name: 'pgw-3', address: '192.0.2.3/32', realm: 'apn-b' })
    recorder = createSessionRecorder(db, { touchAfterMs: TOUCH_AFTER_MS })
  })
  afterAll(async () => {
    await recorder?.drain()
    await t?.destroy()
  })

  const find = (realm: string, address: string, seenSince: Date = EVER) => findActiveSessionByAddress(db, realm, address, seenSince)
  const row = (nasId: number, acctSessionId: string) =>
    db.selectFrom('radiusSessions').selectAll().where('nasId', '=', nasId).where('acctSessionId', '=', acctSessionId).executeTakeFirstOrThrow()
  // xmin changes with every new row version, so an unchanged xmin proves nothing was written.
  const version = async (nasId: number, acctSessionId: string) =>
    (await sql<{ xmin: string }>`select xmin::text as xmin from radius_sessions where nas_id = ${nasId} and acct_session_id = ${acctSessionId}`.execute(db))
      .rows[0]?.xmin
  const start = (f: SessionFields) => recorder.record(sessionRecord('start', f))
  const interim = (f: SessionFields) => recorder.record(sessionRecord('interim', f))
  const stop = (f: SessionFields) => recorder.record(sessionRecord('stop', f))
  const a = (acctSessionId: string, framedIp: string, eventTime: Date, msisdn = '8613800000001'): SessionFields => ({
    nasId: nas1,
    realm: 'apn-a',
    acctSessionId,
    framedIp,
    eventTime,
    msisdn,
  })

  it('makes a session identifiable by (realm, IPv4 address) once its Start is stored', async () => {
    expect(await start(a('start-1', '10.1.0.1', at(10), '8613800000011'))).toBe('stored')
    const found = await find('apn-a', '10.1.0.1')
    expect(found).toMatchObject({ nasId: nas1, acctSessionId: 'start-1', msisdn: '8613800000011', stoppedAt: null })
    expect(await find('apn-b', '10.1.0.1')).toBeUndefined()
    expect(await find('apn-a', '10.1.0.2')).toBeUndefined()
  })

  it('ends the session on Stop, so the address no longer identifies it', async () => {
    await start(a('stop-1', '10.1.0.2', at(10)))
    expect(await stop(a('stop-1', '10.1.0.2', at(20)))).toBe('stored')
    expect(await find('apn-a', '10.1.0.2')).toBeUndefined()
    expect(await row(nas1, 'stop-1')).toMatchObject({ stoppedAt: at(20), stopReason: 'stop' })
  })

  it('supersedes the older session when a new Start claims its address in the same realm', async () => {
    await start(a('sup-old', '10.1.0.3', at(10), '8613800000031'))
    await start({ ...a('sup-new', '10.1.0.3', at(20), '8613800000032'), nasId: nas2 })
    expect(await find('apn-a', '10.1.0.3')).toMatchObject({ acctSessionId: 'sup-new', msisdn: '8613800000032' })
    expect(await row(nas1, 'sup-old')).toMatchObject({ stoppedAt: at(20), stopReason: 'superseded' })
  })

  it('keeps sessions of different realms apart even on the same address', async () => {
    await start(a('realm-a', '10.1.0.4', at(10), '8613800000041'))
    await start({ ...a('realm-b', '10.1.0.4', at(20), '8613800000042'), nasId: nas3, realm: 'apn-b' })
    expect(await find('apn-a', '10.1.0.4')).toMatchObject({ acctSessionId: 'realm-a', msisdn: '8613800000041' })
    expect(await find('apn-b', '10.1.0.4')).toMatchObject({ acctSessionId: 'realm-b', msisdn: '8613800000042' })
    expect((await row(nas1, 'realm-a')).stoppedAt).toBeNull()
  })

  it.each([
    ['older first', false],
    ['newer first', true],
  ])('supersedes the older of two Starts for one address that share a group commit (%s)', async (_, newerFirst) => {
    const ip = newerFirst ? '10.1.0.6' : '10.1.0.5'
    const older = a(`batch-old-${ip}`, ip, at(10), '8613800000051')
    const newer = { ...a(`batch-new-${ip}`, ip, at(20), '8613800000052'), nasId: nas2 }
    // The first submit flushes alone; the two submitted while it is in flight ride together.
    const filler = start(a(`batch-filler-${ip}`, '10.1.0.250', at(5)))
    const pair = newerFirst ? [start(newer), start(older)] : [start(older), start(newer)]
    expect(recorder.pending()).toBe(3)
    expect(await Promise.all([filler, ...pair])).toEqual(['stored', 'stored', 'stored'])
    expect(await find('apn-a', ip)).toMatchObject({ acctSessionId: newer.acctSessionId, msisdn: '8613800000052' })
    expect(await row(nas1, older.acctSessionId)).toMatchObject({ stoppedAt: at(20), stopReason: 'superseded' })
    expect((await row(nas2, newer.acctSessionId)).stoppedAt).toBeNull()
  })

  it('does not let a late Interim of an older session take the address back from a newer Start', async () => {
    await start(a('late-int-old', '10.1.0.7', at(10), '8613800000071'))
    await start({ ...a('late-int-new', '10.1.0.7', at(30), '8613800000072'), nasId: nas2 })
    await interim(a('late-int-old', '10.1.0.7', at(20), '8613800000071'))
    expect(await find('apn-a', '10.1.0.7')).toMatchObject({ acctSessionId: 'late-int-new', msisdn: '8613800000072' })
    expect((await row(nas2, 'late-int-new')).stoppedAt).toBeNull()
    expect(await row(nas1, 'late-int-old')).toMatchObject({ stoppedAt: at(30), stopReason: 'superseded' })
  })

  it('does not let a late, older Interim overwrite the newer mapping of the same session', async () => {
    await start(a('late-map', '10.1.0.8', at(10)))
    expect(await interim(a('late-map', '10.1.0.9', at(30)))).toBe('stored')
    expect(await interim(a('late-map', '10.1.0.8', at(20)))).toBe('duplicate')
    expect(await row(nas1, 'late-map')).toMatchObject({ framedIp: '10.1.0.9', lastSeenAt: at(30), stoppedAt: null })
    expect(await find('apn-a', '10.1.0.9')).toMatchObject({ acctSessionId: 'late-map' })
    expect(await find('apn-a', '10.1.0.8')).toBeUndefined()
  })

  it('does not reopen a session when its Start arrives after its Stop', async () => {
    await stop(a('late-start', '10.1.0.10', at(20)))
    await start(a('late-start', '10.1.0.10', at(10)))
    expect(await row(nas1, 'late-start')).toMatchObject({ stoppedAt: at(20), stopReason: 'stop' })
    expect(await find('apn-a', '10.1.0.10')).toBeUndefined()
  })

  it('does not let a late Start of an older session take the address from the newer session', async () => {
    await start({ ...a('late-old-new', '10.1.0.11', at(20), '8613800000112'), nasId: nas2 })
    await start(a('late-old-old', '10.1.0.11', at(10), '8613800000111'))
    expect(await find('apn-a', '10.1.0.11')).toMatchObject({ acctSessionId: 'late-old-new', msisdn: '8613800000112' })
  })

  it('does not hand the address back to a late older Start once the newer session stops', async () => {
    await start({ ...a('resurrect-new', '10.1.0.12', at(20), '8613800000122'), nasId: nas2 })
    await start(a('resurrect-old', '10.1.0.12', at(10), '8613800000121'))
    await stop({ ...a('resurrect-new', '10.1.0.12', at(30), '8613800000122'), nasId: nas2 })
    expect(await find('apn-a', '10.1.0.12')).toBeUndefined()
  })

  it('reports a retransmitted Start as a duplicate and writes nothing', async () => {
    const record = a('dup-start', '10.1.0.13', at(10))
    expect(await start(record)).toBe('stored')
    const before = await row(nas1, 'dup-start')
    const xmin = await version(nas1, 'dup-start')
    expect(await start({ ...record })).toBe('duplicate')
    expect(await row(nas1, 'dup-start')).toEqual(before)
    expect(await version(nas1, 'dup-start')).toBe(xmin)
  })

  it('reports a retransmitted Stop as a duplicate and writes nothing', async () => {
    await start(a('dup-stop', '10.1.0.14', at(10)))
    expect(await stop(a('dup-stop', '10.1.0.14', at(20)))).toBe('stored')
    const before = await row(nas1, 'dup-stop')
    const xmin = await version(nas1, 'dup-stop')
    expect(await stop(a('dup-stop', '10.1.0.14', at(20)))).toBe('duplicate')
    expect(await row(nas1, 'dup-stop')).toEqual(before)
    expect(await version(nas1, 'dup-stop')).toBe(xmin)
  })

  it('reports the second copy of a record in the same group commit as a duplicate', async () => {
    const record = a('dup-batch', '10.1.0.15', at(10))
    const filler = start(a('dup-batch-filler', '10.1.0.251', at(5)))
    const copies = [start(record), start({ ...record })]
    expect(recorder.pending()).toBe(3)
    await filler
    expect((await Promise.all(copies)).sort()).toEqual(['duplicate', 'stored'])
  })

  it('treats an Interim repeating the stored mapping as unchanged and writes nothing within touchAfterMs', async () => {
    await start(a('same-recent', '10.1.0.16', at(10)))
    const xmin = await version(nas1, 'same-recent')
    expect(await interim(a('same-recent', '10.1.0.16', at(40)))).toBe('unchanged')
    expect((await row(nas1, 'same-recent')).lastSeenAt).toEqual(at(10))
    expect(await version(nas1, 'same-recent')).toBe(xmin)
  })

  it('moves only last_seen_at for an unchanged Interim once the stored one is older than touchAfterMs', async () => {
    await start(a('same-old', '10.1.0.17', at(10)))
    const before = await row(nas1, 'same-old')
    expect(await interim(a('same-old', '10.1.0.17', at(100)))).toBe('unchanged')
    expect(await row(nas1, 'same-old')).toEqual({ ...before, lastSeenAt: at(100) })
  })

  it('moves the mapping when an Interim carries a new address', async () => {
    await start(a('moved', '10.1.0.18', at(10)))
    expect(await interim(a('moved', '10.1.0.19', at(40)))).toBe('stored')
    expect(await find('apn-a', '10.1.0.19')).toMatchObject({ acctSessionId: 'moved' })
    expect(await find('apn-a', '10.1.0.18')).toBeUndefined()
    expect(await row(nas1, 'moved')).toMatchObject({ framedIp: '10.1.0.19', lastSeenAt: at(40), stoppedAt: null })
  })

  it('closes on Accounting-On the sessions of that NAS started before it, and no others', async () => {
    const boxA = await addNasClient(db, { name: 'pgw-reboot-a', address: '192.0.2.10/32', realm: 'apn-a' })
    const boxB = await addNasClient(db, { name: 'pgw-reboot-b', address: '192.0.2.11/32', realm: 'apn-a' })
    await start({ ...a('reboot-before', '10.2.0.1', at(10)), nasId: boxA })
    await start({ ...a('reboot-other-nas', '10.2.0.2', at(10)), nasId: boxB })
    // Started after the reboot but stored before the (late) Accounting-On arrives.
    await start({ ...a('reboot-after', '10.2.0.3', at(60)), nasId: boxA })
    expect(await recorder.record({ kind: 'accounting-on', nasId: boxA, eventTime: at(50) })).toBe('stored')
    expect(await row(boxA, 'reboot-before')).toMatchObject({ stoppedAt: at(50), stopReason: 'nas-reboot' })
    expect(await find('apn-a', '10.2.0.1')).toBeUndefined()
    expect((await row(boxB, 'reboot-other-nas')).stoppedAt).toBeNull()
    expect((await row(boxA, 'reboot-after')).stoppedAt).toBeNull()
    expect(await find('apn-a', '10.2.0.3')).toMatchObject({ acctSessionId: 'reboot-after' })

    await recorder.record({ kind: 'accounting-off', nasId: boxB, eventTime: at(70) })
    expect(await row(boxB, 'reboot-other-nas')).toMatchObject({ stoppedAt: at(70), stopReason: 'nas-off' })
  })

  it('applies an Accounting-On in arrival order within one group commit', async () => {
    const box = await addNasClient(db, { name: 'pgw-reboot-batch', address: '192.0.2.12/32', realm: 'apn-a' })
    const filler = start(a('reboot-batch-filler', '10.1.0.252', at(5)))
    const batch = [
      start({ ...a('reboot-batch-before', '10.2.0.4', at(10)), nasId: box }),
      recorder.record({ kind: 'accounting-on', nasId: box, eventTime: at(50) }),
      // Started in the same second as the reboot, reported after it: a session of the new boot.
      start({ ...a('reboot-batch-after', '10.2.0.5', at(50)), nasId: box }),
    ]
    expect(recorder.pending()).toBe(4)
    await Promise.all([filler, ...batch])
    expect(await row(box, 'reboot-batch-before')).toMatchObject({ stoppedAt: at(50), stopReason: 'nas-reboot' })
    expect(await find('apn-a', '10.2.0.5')).toMatchObject({ acctSessionId: 'reboot-batch-after' })
  })

  it('identifies an IPv6 device address inside the framed or delegated prefix, and not outside', async () => {
    await start({
      ...a('v6', '10.1.0.20', at(10), '8613800000201'),
      framedIp: null,
      framedIpv6Prefix: '2001:db8:10::/64',
      delegatedIpv6Prefix: '2001:db8:20::/56',
    })
    expect(await find('apn-a', '2001:db8:10::abcd')).toMatchObject({ acctSessionId: 'v6', msisdn: '8613800000201' })
    expect(await find('apn-a', '2001:db8:10:0:ffff:ffff:ffff:ffff')).toMatchObject({ acctSessionId: 'v6' })
    expect(await find('apn-a', '2001:db8:20:ff::1')).toMatchObject({ acctSessionId: 'v6' })
    expect(await find('apn-a', '2001:db8:11::1')).toBeUndefined()
    expect(await find('apn-a', '2001:db8:20:100::1')).toBeUndefined()
    expect(await find('apn-b', '2001:db8:10::abcd')).toBeUndefined()
  })

  it('stores a prefix with host bits set in canonical form and still matches its Interims', async () => {
    expect(canonicalPrefix('2001:db8:30:1::1/64')).toBe('2001:db8:30:1::/64')
    expect(canonicalPrefix('2001:db8:40:ff::/56')).toBe('2001:db8:40::/56')
    expect(canonicalPrefix('10.0.0.0/8')).toBeNull()
    expect(canonicalPrefix('not a prefix')).toBeNull()
    const request = (status: string, seconds: number) =>
      ({
        nas: { id: nas1, realm: 'apn-a' },
        decoded: {
          attributes: {
            'Acct-Status-Type': status,
            'Acct-Session-Id': 'v6-canonical',
            'Calling-Station-Id': '13800000301',
            'Event-Timestamp': Math.floor(at(seconds).getTime() / 1000),
            'Framed-IPv6-Prefix': '2001:db8:30:1::1/64',
            'Delegated-IPv6-Prefix': '2001:db8:40:ff::/56',
          },
        },
        receivedAt: at(seconds),
      }) as unknown as AccountingRequest
    const startRecord = toAccountingRecord(request('Start', 10), '86')
    const interimRecord = toAccountingRecord(request('Interim-Update', 30), '86')
    if (startRecord.kind !== 'record' || interimRecord.kind !== 'record') throw new Error('expected records')
    expect(await recorder.record(startRecord.record)).toBe('stored')
    expect(await row(nas1, 'v6-canonical')).toMatchObject({
      msisdn: '8613800000301',
      framedIpv6Prefix: '2001:db8:30:1::/64',
      delegatedIpv6Prefix: '2001:db8:40::/56',
    })
    // The stored text and canonicalPrefix agree, so a repeating Interim is recognised as such.
    expect(await recorder.record(interimRecord.record)).toBe('unchanged')
    expect(await find('apn-a', '2001:db8:30:1::99')).toMatchObject({ acctSessionId: 'v6-canonical' })
    expect(await find('apn-a', '2001:db8:40:ab::1')).toMatchObject({ acctSessionId: 'v6-canonical' })
  })

  it('hides a session unseen longer than the max age and expireSessions marks it expired', async () => {
    const maxAgeMs = 15 * 60_000
    const lastSeen = new Date(T0 - 2 * 86_400_000)
    await start(a('stale', '10.1.0.21', lastSeen))
    await start(a('fresh', '10.1.0.22', new Date(Date.now() - 60_000)))
    const seenSince = new Date(Date.now() - maxAgeMs)
    expect(await find('apn-a', '10.1.0.21', seenSince)).toBeUndefined()
    expect(await find('apn-a', '10.1.0.22', seenSince)).toMatchObject({ acctSessionId: 'fresh' })

    expect(await expireSessions(db, new Date(T0 - 86_400_000))).toBe(1)
    expect(await row(nas1, 'stale')).toMatchObject({ stoppedAt: lastSeen, stopReason: 'expired' })
    expect(await find('apn-a', '10.1.0.21')).toBeUndefined()
    expect((await row(nas1, 'fresh')).stoppedAt).toBeNull()
  })
})

describe('an unchanged Interim-Update', () => {
  it('is answered at once from what this instance stored, even while a batch of writes is stuck behind a lock', async () => {
    const t = await createTestDatabase()
    try {
      const db = t.handle.db
      const nasId = await addNasClient(db, { name: 'pgw-x', address: '192.0.2.9/32', realm: 'apn-x' })
      const recorder = createSessionRecorder(db, { touchAfterMs: TOUCH_AFTER_MS, maxFlushes: 1 })
      const fields = (acctSessionId: string, framedIp: string, seconds: number): SessionFields => ({ nasId, realm: 'apn-x', acctSessionId, framedIp, eventTime: at(seconds), msisdn: '8613800000009' })
      expect(await recorder.record(sessionRecord('start', fields('kept', '10.9.0.1', 0)))).toBe('stored')

      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      let locked!: () => void
      const isLocked = new Promise<void>((resolve) => (locked = resolve))
      const holder = db.transaction().execute(async (trx) => {
        await sql`lock table radius_sessions in exclusive mode`.execute(trx)
        locked()
        await gate
      })
      await isLocked
      let otherDone = false
      const other = recorder.record(sessionRecord('start', fields('other', '10.9.0.2', 5))).finally(() => (otherDone = true))
      const answer = await Promise.race([recorder.record(sessionRecord('interim', fields('kept', '10.9.0.1', 30))), new Promise((resolve) => setTimeout(() => resolve('timed out'), 2000))])
      expect(answer).toBe('unchanged')
      expect(otherDone).toBe(false)
      release()
      await holder
      expect(await other).toBe('stored')
      await recorder.drain()
    } finally {
      await t.destroy()
    }
  })
})
