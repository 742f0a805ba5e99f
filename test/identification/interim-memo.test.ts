// The Interim memo maps a repeated Interim-Update from its raw bytes to exactly the record the full
// decode gives (toAccountingRecord), event time included; anything that could map differently —
// another address, number, IMSI, session, NAS or realm, a Start, a Stop — is a miss.
import { describe, expect, it } from 'vitest'
import { toAccountingRecord } from '../../src/identification/accounting-records.ts'
import { createInterimMemo } from '../../src/identification/interim-memo.ts'
import type { AccountingRecord } from '../../src/identification/session-recorder.ts'
import { decodePacket } from '../../src/radius/decode.ts'
import type { NasEntry } from '../../src/radius/nas-directory.ts'
import { parsePacket, type RadiusPacket } from '../../src/radius/packet.ts'
import { signedAccountingRequest, startAttributes } from '../radius/helpers/accounting-request.ts'

const NAS: NasEntry = {
  id: 7, name: 'pgw', realm: 'cmnet', address: '127.0.0.1', secret: Buffer.from('testing123'),
  requireMessageAuthenticator: false, coaHost: null, coaPort: 3799, liftProfile: 'coa', coaAttributes: [],
}
const RECEIVED = new Date('2026-11-22T05:00:00.700Z')

function packet(overrides: Partial<Record<string, string | number>>, drop: string[] = []): RadiusPacket {
  const attributes = startAttributes({ 'Acct-Status-Type': 'Interim-Update', ...overrides }).filter((a) => !('name' in a) || !drop.includes(a.name))
  const parsed = parsePacket(signedAccountingRequest({ secret: NAS.secret, identifier: 9, attributes }))
  if (!parsed.ok) throw new Error(parsed.detail)
  return parsed.packet
}

/** What the full decode maps `p` to. */
function full(p: RadiusPacket, nas: NasEntry = NAS, receivedAt = RECEIVED): AccountingRecord {
  const result = toAccountingRecord({ nas, packet: { ...p, verified: true, hasMessageAuthenticator: false }, decoded: decodePacket(p), source: { address: '127.0.0.1', port: 1 }, receivedAt }, '86')
  if (result.kind !== 'record') throw new Error(`not a record: ${result.kind}`)
  return result.record
}

describe('the Interim memo', () => {
  it('maps a repeated Interim to the record the full decode gives, with its own event time', () => {
    const memo = createInterimMemo(100)
    const seen = packet({ 'Event-Timestamp': 1_800_000_000, 'Acct-Session-Time': 60 })
    expect(memo.lookup(NAS, seen, RECEIVED)).toBeUndefined()
    memo.remember(NAS, seen, full(seen))
    for (const later of [
      packet({ 'Event-Timestamp': 1_800_000_300, 'Acct-Session-Time': 360, 'Acct-Input-Octets': 12345 }),
      packet({ 'Acct-Session-Time': 420, 'Acct-Delay-Time': 7 }, ['Event-Timestamp']),
      packet({ 'Acct-Session-Time': 480 }, ['Event-Timestamp']),
      packet({ 'Event-Timestamp': 0, 'Acct-Delay-Time': 2 }),
    ]) {
      const quick = memo.lookup(NAS, later, RECEIVED)
      expect(quick).toEqual(full(later))
    }
  })

  it('misses whenever a mapping attribute, the NAS or its realm differs', () => {
    const memo = createInterimMemo(100)
    const seen = packet({})
    memo.remember(NAS, seen, full(seen))
    expect(memo.lookup(NAS, packet({ 'Acct-Input-Octets': 99 }), RECEIVED)).toBeDefined()
    for (const other of [
      packet({ 'Framed-IP-Address': '10.64.1.24' }),
      packet({ 'Calling-Station-Id': '8613800138001' }),
      packet({ '3GPP-IMSI': '460001234567891' }),
      packet({ 'Acct-Session-Id': '0a0b0c0d-0002' }),
      packet({ 'Framed-IPv6-Prefix': '2409:8a00:1:3::/64' }),
      packet({}, ['Framed-IP-Address']),
      packet({}, ['Calling-Station-Id']),
      packet({ 'Acct-Status-Type': 'Stop' }),
      packet({ 'Acct-Status-Type': 'Start' }),
    ]) {
      expect(memo.lookup(NAS, other, RECEIVED)).toBeUndefined()
    }
    expect(memo.lookup({ ...NAS, id: 8 }, seen, RECEIVED)).toBeUndefined()
    expect(memo.lookup({ ...NAS, realm: 'apn-b' }, seen, RECEIVED)).toBeUndefined()
  })

  it('remembers only Interims, at most `max` of them, the oldest falling out first', () => {
    const start = packet({ 'Acct-Status-Type': 'Start' })
    const memo = createInterimMemo(2)
    memo.remember(NAS, start, full(start))
    expect(memo.size()).toBe(0)
    const sessions = ['s-1', 's-2', 's-3'].map((id) => packet({ 'Acct-Session-Id': id }))
    for (const p of sessions) memo.remember(NAS, p, full(p))
    expect(memo.size()).toBe(2)
    expect(memo.lookup(NAS, sessions[0]!, RECEIVED)).toBeUndefined()
    expect(memo.lookup(NAS, sessions[2]!, RECEIVED)).toMatchObject({ kind: 'interim', acctSessionId: 's-3' })
    const none = createInterimMemo(0)
    none.remember(NAS, sessions[0]!, full(sessions[0]!))
    expect(none.lookup(NAS, sessions[0]!, RECEIVED)).toBeUndefined()
  })
})
