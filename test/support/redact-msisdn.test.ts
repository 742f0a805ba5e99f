// Masking a number inside timeline details: text, nested JSON and hex dumps whose octets are
// re-rendered with the hidden digits as '*', the rest of the packet unchanged.
import { describe, expect, it } from 'vitest'
import { hexDump } from '../../src/radius/hex-dump.ts'
import { maskInPlace, redactMsisdn } from '../../src/support/redact-msisdn.ts'

describe('redactMsisdn', () => {
  it('hides the same digits as the masked display, keeping the length', () => {
    expect(maskInPlace('8613800000077')).toBe('86138****0077')
    expect(maskInPlace('14155550123')).toBe('1415***0123')
  })

  it('masks the number in nested values and in a hex dump, across line boundaries', () => {
    const packet = Buffer.concat([Buffer.from([0x2b, 0x01, 0x00, 0x20]), Buffer.alloc(10, 0xee), Buffer.from([0x1f, 15]), Buffer.from('8613800000077'), Buffer.from([0x08, 0x06, 10, 0, 0, 1])])
    const detail = { request: { attributes: { 'Calling-Station-Id': '8613800000077', other: ['x 8613800000077 y'] } }, requestHex: hexDump(packet), sentAt: ['t'], n: 3 }
    const redacted = redactMsisdn(detail, '8613800000077')
    expect(JSON.stringify(redacted)).not.toContain('8613800000077')
    expect(redacted.request.attributes['Calling-Station-Id']).toBe('86138****0077')
    expect(redacted.request.attributes.other).toEqual(['x 86138****0077 y'])
    const expected = Buffer.from(packet)
    Buffer.from('86138****0077').copy(expected, 16)
    expect(redacted.requestHex).toBe(hexDump(expected))
    expect(redacted.n).toBe(3)
    expect(detail.request.attributes['Calling-Station-Id']).toBe('8613800000077') // the input is not changed
  })

  it('leaves text without the number alone', () => {
    expect(redactMsisdn({ a: 'nothing here', b: null, c: 1 }, '8613800000077')).toEqual({ a: 'nothing here', b: null, c: 1 })
  })
})
