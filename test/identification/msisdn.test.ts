// normaliseMsisdn: whatever shape the network writes a number in, sessions and lines store E.164
// digits; anything that is not a phone number (MAC addresses, SIP URIs, words) is null.
import { describe, expect, it } from 'vitest'
import { normaliseMsisdn } from '../../src/identification/msisdn.ts'

describe('normaliseMsisdn', () => {
  it.each([
    ['+8613800000001', 'international with +'],
    ['008613800000001', 'international with 00'],
    ['013800000001', 'national with trunk 0'],
    ['13800000001', '11-digit national'],
    ['8613800000001', 'E.164 digits already'],
    ['tel:+8613800000001', 'tel: URI'],
    ['TEL:+86-138-0000-0001', 'tel: URI, upper case, with visual separators'],
    ['tel:13800000001', 'tel: URI with a national number'],
    [' +86 138 0000 0001 ', 'spaces'],
    ['+86 (138) 0000.0001', 'brackets and dots'],
  ])('turns %s (%s) into E.164 digits', (raw) => {
    expect(normaliseMsisdn(raw, '86')).toBe('8613800000001')
  })

  it('prefixes the configured country code to national numbers only', () => {
    expect(normaliseMsisdn('0612345678', '31')).toBe('31612345678')
    expect(normaliseMsisdn('612345678', '31')).toBe('31612345678')
    expect(normaliseMsisdn('+16505550100', '31')).toBe('16505550100')
    expect(normaliseMsisdn('0016505550100', '86')).toBe('16505550100')
  })

  it.each([
    ['', 'empty'],
    ['   ', 'blank'],
    ['unknown', 'a word'],
    ['abc13800000001', 'letters and digits'],
    ['+', 'a lone +'],
    ['00', 'a lone 00'],
    ['1234', 'too short'],
    ['+0123456789', 'international starting with 0'],
    ['+8613800000001234', 'more than 15 digits'],
    ['sip:+8613800000001@ims.example.com', 'a SIP URI'],
    ['13800000001@ims', 'a NAI'],
    ['00:11:22:33:44:55', 'a MAC address with colons'],
    ['AA-BB-CC-DD-EE-FF', 'a MAC address with letters'],
    ['001a.2b3c.4d5e', 'a Cisco-style MAC address with letters'],
    ['+86 138 0000 0001 ext 2', 'an extension'],
  ])('returns null for %j (%s)', (raw) => {
    expect(normaliseMsisdn(raw, '86')).toBeNull()
  })

  it.each([
    ['00-11-22-33-44-55', 'a MAC address with dashes'],
    ['12-34-56-78-90-12', 'a MAC address with dashes, no leading 00'],
    ['0011.2233.4455', 'a Cisco-style MAC address'],
  ])('returns null for the all-digit MAC %j (%s)', (raw) => {
    expect(normaliseMsisdn(raw, '86')).toBeNull()
  })
})
