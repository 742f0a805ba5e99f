import { describe, expect, it } from 'vitest'
import { encodeAttribute } from '../../src/radius/attribute-encoder.ts'
import { RadiusEncodeError } from '../../src/radius/errors.ts'

function hex(input: Parameters<typeof encodeAttribute>[0]): string {
  return encodeAttribute(input).toString('hex')
}

describe('encodeAttribute', () => {
  it('encodes standard attributes by name, with enumerated values by name', () => {
    expect(hex({ name: 'User-Name', value: 'bob' })).toBe('0105626f62')
    expect(hex({ name: 'Acct-Status-Type', value: 'Accounting-Off' })).toBe('280600000008')
    expect(hex({ name: 'Error-Cause', value: 'Resources-Unavailable' })).toBe('6506000001fa')
    expect(hex({ name: 'Event-Timestamp', value: new Date(1_700_000_000_000) })).toBe('37066553f100')
    expect(hex({ name: 'framed-ip-address', value: '10.0.0.1' })).toBe('08060a000001')
  })

  it('encodes IPv6 prefixes in full with the bits past the prefix length cleared (RFC 3162 §2.3)', () => {
    expect(hex({ name: 'Framed-IPv6-Prefix', value: '2001:db8:ffff::1/36' })).toBe(
      '61140024' + '20010db8f0' + '0'.repeat(22),
    )
  })

  it('wraps 3GPP attributes in a Vendor-Specific attribute of vendor 10415', () => {
    expect(hex({ name: '3GPP-IMSI', value: '46000' })).toBe('1a0d000028af01073436303030')
    expect(hex({ name: '3GPP-RAT-Type', value: 6 })).toBe('1a09000028af150306')
  })

  it('refuses values of the wrong kind or size', () => {
    const refused = [
      { name: 'User-Name', value: '' },
      { name: 'NAS-Port', value: -1 },
      { name: 'NAS-Port', value: 'eight' },
      { name: 'Framed-IP-Address', value: '10.0.0' },
      { name: 'Framed-IPv6-Prefix', value: '2001:db8::/129' },
      { name: 'Class', value: 'not hex' },
      { name: 'Session-Timeout', value: Buffer.alloc(3) },
      { type: 5, value: Buffer.alloc(2) },
      { type: 0, value: Buffer.alloc(1) },
      { name: 'Filter-Id', value: 'x'.repeat(254) },
      { vendorId: 10415, vendorType: 2, value: Buffer.alloc(3) },
      { vendorId: 0x1000000, vendorType: 1, value: Buffer.alloc(1) },
    ]
    for (const input of refused) expect(() => encodeAttribute(input), JSON.stringify(input)).toThrow(RadiusEncodeError)
  })
})
