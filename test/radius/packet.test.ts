import { describe, expect, it } from 'vitest'
import { parsePacket } from '../../src/radius/packet.ts'
import { signedAccountingRequest, startAttributes } from './helpers/accounting-request.ts'

const secret = Buffer.from('testing123')

/** A header-only-valid packet with the given raw attribute bytes (not signed: structure only). */
function withAttributes(...attributes: number[][]): Buffer {
  const body = Buffer.from(attributes.flat())
  const packet = Buffer.concat([Buffer.alloc(20), body])
  packet[0] = 4
  packet.writeUInt16BE(packet.length, 2)
  return packet
}

function reasonOf(datagram: Uint8Array): string {
  const result = parsePacket(datagram)
  return result.ok ? 'ok' : `${result.reason}: ${result.detail}`
}

describe('parsePacket', () => {
  it('accepts a well-formed Accounting-Request and lists its attributes in order', () => {
    const result = parsePacket(signedAccountingRequest({ secret, attributes: startAttributes() }))
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.packet.code).toBe(4)
    expect(result.packet.attributes.map((a) => a.type)).toEqual([40, 44, 1, 31, 30, 4, 8, 97, 26, 55])
    expect(result.packet.messageAuthenticatorOffset).toBeUndefined()
  })

  it('rejects datagrams shorter than the 20-octet header', () => {
    expect(reasonOf(Buffer.alloc(19))).toMatch(/^malformed/)
    expect(reasonOf(Buffer.alloc(0))).toMatch(/^malformed/)
  })

  it('rejects datagrams over 4096 octets', () => {
    const big = Buffer.alloc(4097)
    big[0] = 4
    big.writeUInt16BE(20, 2)
    expect(reasonOf(big)).toMatch(/^malformed.*over 4096/)
  })

  it('rejects a Length field under 20', () => {
    const packet = withAttributes()
    packet.writeUInt16BE(19, 2)
    expect(reasonOf(packet)).toMatch(/^malformed: Length field 19/)
  })

  it('rejects a truncated datagram whose Length field says more', () => {
    const packet = signedAccountingRequest({ secret, attributes: startAttributes() })
    expect(reasonOf(packet.subarray(0, packet.length - 1))).toMatch(/^malformed: Length field/)
  })

  it('treats octets past the Length field as padding and drops them', () => {
    const packet = signedAccountingRequest({ secret, attributes: startAttributes() })
    const result = parsePacket(Buffer.concat([packet, Buffer.from('padding')]))
    expect(result.ok && result.packet.bytes.equals(packet)).toBe(true)
  })

  it('rejects attribute lengths 0 and 1', () => {
    expect(reasonOf(withAttributes([1, 0]))).toMatch(/^malformed: attribute 1 length 0/)
    expect(reasonOf(withAttributes([1, 1, 0x41]))).toMatch(/^malformed: attribute 1 length 1/)
  })

  it('rejects an attribute that overflows the packet', () => {
    expect(reasonOf(withAttributes([1, 7, 0x61, 0x62]))).toMatch(/overflows the packet/)
  })

  it('rejects a lone octet after the last attribute', () => {
    expect(reasonOf(withAttributes([1, 3, 0x61], [31]))).toMatch(/attribute header cut/)
  })

  it('rejects attribute type 0', () => {
    expect(reasonOf(withAttributes([0, 3, 0x61]))).toMatch(/attribute type 0/)
  })

  it('rejects fixed-size values of the wrong size', () => {
    expect(reasonOf(withAttributes([40, 5, 0, 0, 1]))).toMatch(/attribute 40 .*integer value of 3 octets/)
    expect(reasonOf(withAttributes([8, 7, 10, 0, 0, 1, 9]))).toMatch(/ipaddr value of 5 octets/)
    expect(reasonOf(withAttributes([55, 2]))).toMatch(/date value of 0 octets/)
    expect(reasonOf(withAttributes([80, 17, ...new Array<number>(15).fill(0)]))).toMatch(/message-authenticator/)
  })

  it('checks IPv6 prefixes against RFC 3162 sizes', () => {
    expect(reasonOf(withAttributes([97, 6, 0, 16, 0x24, 0x09]))).toBe('ok')
    expect(reasonOf(withAttributes([97, 3, 0]))).toMatch(/ipv6prefix value of 1 octets/)
    expect(reasonOf(withAttributes([97, 4, 0, 129]))).toMatch(/over 128/)
    expect(reasonOf(withAttributes([123, 6, 0, 64, 0x24, 0x09]))).toMatch(/\/64 in 2 octets/)
    expect(reasonOf(withAttributes([97, 21, 0, 64, ...new Array<number>(17).fill(0)]))).toMatch(/19 octets/)
  })

  it('rejects a second Message-Authenticator', () => {
    const ma = [80, 18, ...new Array<number>(16).fill(0)]
    expect(reasonOf(withAttributes(ma))).toBe('ok')
    expect(reasonOf(withAttributes(ma, [1, 3, 0x61], ma))).toMatch(/more than one Message-Authenticator/)
  })

  it('rejects Vendor-Specific attributes that RFC 2865 §5.26 rules out', () => {
    expect(reasonOf(withAttributes([26, 6, 0, 0, 0, 9]))).toMatch(/Vendor-Specific value of 4 octets/)
    expect(reasonOf(withAttributes([26, 9, 1, 0, 0, 9, 1, 3, 0x61]))).toMatch(/non-zero high-order octet/)
  })

  it('holds 3GPP sub-attributes to their layout and sizes', () => {
    const vendor = [0, 0, 0x28, 0xaf]
    expect(reasonOf(withAttributes([26, 11, ...vendor, 1, 5, 0x34, 0x36, 0x30]))).toBe('ok')
    expect(reasonOf(withAttributes([26, 11, ...vendor, 1, 6, 0x34, 0x36, 0x30]))).toMatch(/do not fill/)
    expect(reasonOf(withAttributes([26, 11, ...vendor, 2, 5, 0, 0, 1]))).toMatch(/3GPP-Charging-ID: integer/)
  })

  it('accepts other vendors whose strings are not sub-attributes', () => {
    expect(reasonOf(withAttributes([26, 9, 0, 0, 0x07, 0xdb, 0xff, 0xff, 0xff]))).toBe('ok')
  })

  it('accepts attributes it does not know, whatever their size', () => {
    expect(reasonOf(withAttributes([17, 2], [250, 5, 1, 2, 3]))).toBe('ok')
  })
})
