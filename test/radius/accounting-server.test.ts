import { createSocket, type Socket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { type AccountingStack, startAccountingStack } from '../helpers/accounting.ts'
import { signedAccountingRequest, startAttributes } from './helpers/accounting-request.ts'
import { sendAndCollect } from './helpers/udp.ts'

const SECRET = Buffer.from('testing123')
const STRICT_SECRET = Buffer.from('strict-secret')

async function bindFrom(address: string): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, address, () => resolve())
  })
  return socket
}

const send = sendAndCollect

function start(id: number, overrides: Record<string, string | number>, secret = SECRET, messageAuthenticator = false): Buffer {
  return signedAccountingRequest({ identifier: id, secret, attributes: startAttributes(overrides), messageAuthenticator })
}

describe('the accounting server on loopback UDP with a real database', () => {
  let t: TestDatabase
  let stack: AccountingStack
  let nas: Socket // 127.0.0.1: the lenient NAS
  let strictNas: Socket // 127.0.0.2: requires Message-Authenticator
  let stranger: Socket // 127.0.0.9: not a NAS

  beforeAll(async () => {
    t = await createTestDatabase()
    await t.handle.db
      .insertInto('nasClients')
      .values([
        { name: 'pgw-lenient', address: '127.0.0.1/32', secret: 'testing123', realm: 'default', requireMessageAuthenticator: false, coaHost: null, coaPort: 3799, liftProfile: 'coa' },
        { name: 'pgw-strict', address: '127.0.0.2', secret: 'strict-secret', realm: 'default', requireMessageAuthenticator: true, coaHost: null, coaPort: 3799, liftProfile: 'coa' },
      ])
      .execute()
    stack = await startAccountingStack(t.handle.db)
    nas = await bindFrom('127.0.0.1')
    strictNas = await bindFrom('127.0.0.2')
    stranger = await bindFrom('127.0.0.9')
  })
  afterAll(async () => {
    for (const s of [nas, strictNas, stranger]) s?.close()
    await stack?.close()
    await t.destroy()
  })

  async function session(acctSessionId: string) {
    return t.handle.db.selectFrom('radiusSessions').selectAll().where('acctSessionId', '=', acctSessionId).executeTakeFirst()
  }

  it('answers a Start only once it is stored, with a valid Accounting-Response', async () => {
    const request = start(1, { 'Acct-Session-Id': 'stored-1', 'Framed-IP-Address': '10.9.0.1', 'Calling-Station-Id': '+8613800000021' })
    const answers = await send(nas, stack.port, request)
    expect(answers).toHaveLength(1)
    const [answer] = answers
    expect(answer![0]).toBe(5) // Accounting-Response
    expect(answer![1]).toBe(1)
    const row = await session('stored-1')
    expect(row).toMatchObject({ framedIp: '10.9.0.1', msisdn: '8613800000021', stoppedAt: null, imsi: '460001234567890' })
    expect(row?.framedIpv6Prefix).toBe('2409:8a00:1:2::/64')
  })

  it('drops packets from a source that is not a configured NAS, and counts them', async () => {
    const before = await stack.count('drops', { reason: 'unknown_client' })
    expect(await send(stranger, stack.port, start(2, { 'Acct-Session-Id': 'stranger-1' }), 600)).toEqual([])
    expect(await stack.count('drops', { reason: 'unknown_client' })).toBe(before + 1)
    expect(await session('stranger-1')).toBeUndefined()
  })

  it('drops a packet signed with the wrong secret', async () => {
    const answers = await send(nas, stack.port, start(3, { 'Acct-Session-Id': 'wrong-secret' }, Buffer.from('not-the-secret')), 600)
    expect(answers).toEqual([])
    expect(await stack.count('drops', { reason: 'bad_authenticator' })).toBeGreaterThanOrEqual(1)
    expect(await session('wrong-secret')).toBeUndefined()
  })

  it('requires Message-Authenticator from a NAS flagged for it, and accepts it when present', async () => {
    expect(await send(strictNas, stack.port, start(4, { 'Acct-Session-Id': 'strict-no-ma' }, STRICT_SECRET, false), 600)).toEqual([])
    expect(await stack.count('drops', { reason: 'missing_message_authenticator' })).toBe(1)
    const answers = await send(strictNas, stack.port, start(5, { 'Acct-Session-Id': 'strict-ma', 'Framed-IP-Address': '10.9.0.5', 'Framed-IPv6-Prefix': '2409:8a00:5::/64' }, STRICT_SECRET, true))
    expect(answers).toHaveLength(1)
    // The answer carries a Message-Authenticator too (type 80, after the header).
    expect(answers[0]!.includes(Buffer.from([80, 18]))).toBe(true)
    expect(await session('strict-ma')).toBeDefined()
  })

  it('accepts no forged packet: altered attribute, truncated, oversized, bad Message-Authenticator', async () => {
    const good = start(6, { 'Acct-Session-Id': 'forged-base', 'Framed-IP-Address': '10.9.0.6' }, SECRET, true)
    const altered = Buffer.from(good)
    const ipAt = good.indexOf(Buffer.from([8, 6, 10, 9, 0, 6]))
    expect(ipAt).toBeGreaterThan(0)
    altered[ipAt + 5] = 7 // Framed-IP-Address 10.9.0.6 → 10.9.0.7 after signing
    const truncated = good.subarray(0, good.length - 4)
    const oversized = Buffer.concat([good, Buffer.alloc(4100 - good.length)])
    oversized.writeUInt16BE(4100, 2)
    const badMa = Buffer.from(good)
    badMa[badMa.length - 1] = badMa[badMa.length - 1]! ^ 0xff
    for (const forged of [altered, truncated, oversized, badMa]) {
      expect(await send(nas, stack.port, forged, 600)).toEqual([])
    }
    expect(await session('forged-base')).toBeUndefined()
  })

  it('answers a retransmission with the same bytes without storing it twice', async () => {
    const request = start(7, { 'Acct-Session-Id': 'retransmitted', 'Framed-IP-Address': '10.9.0.8' })
    const first = await send(nas, stack.port, request)
    const storedBefore = await stack.count('requests', { status_type: 'start', outcome: 'stored' })
    const again = await send(nas, stack.port, request)
    expect(again).toEqual(first)
    expect(await stack.count('duplicates', { kind: 'answered_again' })).toBeGreaterThanOrEqual(1)
    expect(await stack.count('requests', { status_type: 'start', outcome: 'stored' })).toBe(storedBefore)
  })

  it('recognises the same record re-sent with a new Identifier and a larger Acct-Delay-Time', async () => {
    const attrs = { 'Acct-Session-Id': 'resent-later', 'Framed-IP-Address': '10.9.0.9', 'Event-Timestamp': 1_700_000_500 }
    expect(await send(nas, stack.port, start(8, { ...attrs, 'Acct-Delay-Time': 0 }))).toHaveLength(1)
    const before = await stack.count('requests', { status_type: 'start', outcome: 'duplicate' })
    expect(await send(nas, stack.port, start(9, { ...attrs, 'Acct-Delay-Time': 5 }))).toHaveLength(1)
    expect(await stack.count('requests', { status_type: 'start', outcome: 'duplicate' })).toBe(before + 1)
    const rows = await t.handle.db.selectFrom('radiusSessions').select('id').where('acctSessionId', '=', 'resent-later').execute()
    expect(rows).toHaveLength(1)
  })

  it('closes every session of a NAS on Accounting-On (the NAS rebooted)', async () => {
    await send(nas, stack.port, start(10, { 'Acct-Session-Id': 'before-reboot', 'Framed-IP-Address': '10.9.0.10', 'Event-Timestamp': 1_700_000_600 }))
    const on = signedAccountingRequest({
      identifier: 11,
      secret: SECRET,
      attributes: [
        { name: 'Acct-Status-Type', value: 'Accounting-On' },
        { name: 'NAS-IP-Address', value: '127.0.0.1' },
        { name: 'Event-Timestamp', value: 1_700_000_700 },
      ],
    })
    expect(await send(nas, stack.port, on)).toHaveLength(1)
    expect(await session('before-reboot')).toMatchObject({ stopReason: 'nas-reboot' })
    // The strict NAS's session (own addresses, never superseded) belongs to another NAS: untouched.
    expect(await session('strict-ma')).toMatchObject({ stoppedAt: null })
  })

  it('survives a storm of garbage and mutated datagrams and still answers afterwards', async () => {
    const base = start(12, { 'Acct-Session-Id': 'storm-base' })
    const dropsBefore = await stack.count('drops', { reason: 'malformed' })
    for (let i = 0; i < 5000; i++) {
      const datagram = i % 2 === 0 ? Buffer.from(base) : Buffer.alloc(1 + (i % 300))
      if (i % 2 === 0) {
        const at = 20 + (i % (datagram.length - 20))
        datagram[at] = datagram[at]! ^ (1 + (i % 255))
      }
      else for (let j = 0; j < datagram.length; j++) datagram[j] = (i * 31 + j * 17) & 0xff
      nas.send(datagram, stack.port, '127.0.0.1')
      if (i % 500 === 0) await new Promise((r) => setImmediate(r))
    }
    await new Promise((r) => setTimeout(r, 500))
    expect(await stack.count('drops', { reason: 'malformed' })).toBeGreaterThan(dropsBefore)
    expect(await session('storm-base')).toBeUndefined()
    expect(await send(nas, stack.port, start(13, { 'Acct-Session-Id': 'after-storm' }))).toHaveLength(1)
  })
})
