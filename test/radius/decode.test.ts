import { describe, expect, it } from 'vitest'
import { decodePacket, firstValue, type DecodedPacket } from '../../src/radius/decode.ts'
import { hexDump } from '../../src/radius/hex-dump.ts'
import { parsePacket } from '../../src/radius/packet.ts'
import { acctStatusTypeNumber, AcctStatusType, errorCauseNumber } from '../../src/radius/values.ts'
import { signedAccountingRequest, startAttributes } from './helpers/accounting-request.ts'

const secret = Buffer.from('testing123')

function decode(datagram: Buffer): DecodedPacket {
  const parsed = parsePacket(datagram)
  if (!parsed.ok) throw new Error(parsed.detail)
  return decodePacket(parsed.packet)
}

describe('decodePacket', () => {
  it('gives the header fields and the attributes a session needs', () => {
    const decoded = decode(signedAccountingRequest({ secret, identifier: 3, attributes: startAttributes() }))
    expect(decoded).toMatchObject({ code: 4, codeName: 'Accounting-Request', identifier: 3, length: decoded.length })
    expect(decoded.authenticator).toMatch(/^[0-9a-f]{32}$/)
    expect(decoded.attributes).toEqual({
      'Acct-Status-Type': 'Start',
      'Acct-Session-Id': '0a0b0c0d-0001',
      'User-Name': '8613800138000@cmnet',
      'Calling-Station-Id': '8613800138000',
      'Called-Station-Id': 'cmnet',
      'NAS-IP-Address': '10.20.30.40',
      'Framed-IP-Address': '10.64.1.23',
      'Framed-IPv6-Prefix': '2409:8a00:1:2::/64',
      '3GPP-IMSI': '460001234567890',
      'Event-Timestamp': 1_700_000_000,
    })
  })

  it('names every Acct-Status-Type, Accounting-On and Accounting-Off included', () => {
    for (const [name, number] of [
      ['Interim-Update', AcctStatusType.InterimUpdate],
      ['Stop', AcctStatusType.Stop],
      ['Accounting-On', AcctStatusType.AccountingOn],
      ['Accounting-Off', AcctStatusType.AccountingOff],
    ] as const) {
      const attributes = startAttributes({ 'Acct-Status-Type': name })
      const decoded = decode(signedAccountingRequest({ secret, attributes }))
      expect(firstValue(decoded, 'Acct-Status-Type')).toBe(name)
      expect(acctStatusTypeNumber(firstValue(decoded, 'Acct-Status-Type'))).toBe(number)
    }
  })

  it('decodes IPv6 prefixes sent with only the prefix octets (RFC 3162 §2.3, RFC 4818)', () => {
    const packet = signedAccountingRequest({
      secret,
      attributes: [
        { type: 97, value: Buffer.from([0, 56, 0x24, 0x09, 0x8a, 0x00, 0x00, 0x01, 0x02]) },
        { type: 123, value: Buffer.from([0, 48, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x07]) },
        { name: 'Framed-IPv6-Address', value: '2001:db8::1' },
      ],
    })
    expect(decode(packet).attributes).toMatchObject({
      'Framed-IPv6-Prefix': '2409:8a00:1:200::/56',
      'Delegated-IPv6-Prefix': '2001:db8:7::/48',
      'Framed-IPv6-Address': '2001:db8::1',
    })
  })

  it('decodes 3GPP attributes and keeps other vendors and unknown attributes as hex', () => {
    const packet = signedAccountingRequest({
      secret,
      attributes: [
        { name: '3GPP-IMSI', value: '460001234567890' },
        { name: '3GPP-Charging-ID', value: 123456 },
        { name: '3GPP-RAT-Type', value: 6 },
        { name: '3GPP-SGSN-Address', value: '192.0.2.7' },
        { name: '3GPP-IMEISV', value: '3534560123456701' },
        { vendorId: 2011, vendorType: 7, value: Buffer.from('hw') },
        { type: 250, value: Buffer.from([1, 2]) },
      ],
    })
    expect(decode(packet).attributes).toEqual({
      '3GPP-IMSI': '460001234567890',
      '3GPP-Charging-ID': 123456,
      '3GPP-RAT-Type': 6,
      '3GPP-SGSN-Address': '192.0.2.7',
      '3GPP-IMEISV': '3534560123456701',
      'Attr-26.2011.7': '0x6877',
      'Attr-250': '0x0102',
    })
  })

  it('collects repeated attributes into arrays and leaves Message-Authenticator out', () => {
    const packet = signedAccountingRequest({
      secret,
      messageAuthenticator: true,
      attributes: [
        { name: 'Acct-Input-Octets', value: 10 },
        { name: 'Class', value: Buffer.from('a') },
        { name: 'Acct-Input-Octets', value: 20 },
        { name: 'Class', value: Buffer.from('b') },
      ],
    })
    const decoded = decode(packet)
    expect(decoded.hasMessageAuthenticator).toBe(true)
    expect(decoded.attributes).toEqual({ 'Acct-Input-Octets': [10, 20], Class: ['0x61', '0x62'] })
  })

  it('redacts password attributes and decodes tagged ones', () => {
    const packet = signedAccountingRequest({
      secret,
      attributes: [
        { type: 2, value: Buffer.alloc(16, 7) },
        { type: 64, value: Buffer.from([1, 0, 0, 13]) },
        { type: 81, value: Buffer.from('\x01vlan-7', 'latin1') },
      ],
    })
    expect(decode(packet).attributes).toEqual({
      'User-Password': '[redacted]',
      'Tunnel-Type': 'VLAN',
      'Tunnel-Private-Group-Id': 'vlan-7',
    })
  })

  it('maps Error-Cause names and numbers to numbers', () => {
    expect(errorCauseNumber('Resources-Unavailable')).toBe(506)
    expect(errorCauseNumber(503)).toBe(503)
    expect(errorCauseNumber('nonsense')).toBeUndefined()
  })
})

describe('hexDump', () => {
  it('prints offsets, two groups of eight octets and printable ASCII', () => {
    const dump = hexDump(Buffer.from('0405001a000102030405060708090a0b0c0d0e0f01066162', 'hex'))
    expect(dump.split('\n')).toEqual([
      '0000  04 05 00 1a 00 01 02 03  04 05 06 07 08 09 0a 0b  |................|',
      '0010  0c 0d 0e 0f 01 06 61 62                           |......ab|',
    ])
  })

  it('stops after 4096 octets', () => {
    const lines = hexDump(Buffer.alloc(5000)).split('\n')
    expect(lines).toHaveLength(257)
    expect(lines.at(-1)).toBe('… 904 more octets not shown')
  })
})
