// clientAddress: the socket peer is the client unless it is a trusted proxy; then the right-most
// X-Forwarded-For hop that is not a trusted proxy, and never anything left of an unparsable hop.
import fc from 'fast-check'
import ipaddr from 'ipaddr.js'
import { describe, expect, it } from 'vitest'
import { clientAddress, compileTrustedProxies } from '../../src/identification/client-address.ts'

const loopback = compileTrustedProxies(['127.0.0.1'])

describe('clientAddress', () => {
  it('treats an IPv4-mapped IPv6 socket address as the IPv4 address', () => {
    expect(clientAddress('::ffff:10.0.0.7', undefined, loopback)).toEqual({ address: '10.0.0.7', viaTrustedProxy: false })
    expect(clientAddress('::ffff:127.0.0.1', '10.0.0.7', loopback)).toEqual({ address: '10.0.0.7', viaTrustedProxy: true })
  })

  it('matches an IPv4-mapped trusted proxy entry against a plain IPv4 socket address and the reverse', () => {
    expect(clientAddress('127.0.0.1', '10.0.0.7', compileTrustedProxies(['::ffff:127.0.0.1']))).toEqual({ address: '10.0.0.7', viaTrustedProxy: true })
    expect(clientAddress('::ffff:10.1.2.3', '10.0.0.7', compileTrustedProxies(['10.1.0.0/16']))).toEqual({ address: '10.0.0.7', viaTrustedProxy: true })
  })

  it('returns an IPv4-mapped forwarded hop as IPv4 and IPv6 in compressed form', () => {
    expect(clientAddress('127.0.0.1', '::ffff:10.0.0.7', loopback).address).toBe('10.0.0.7')
    expect(clientAddress('127.0.0.1', '2001:0DB8:0000:0000:0000:0000:0000:0007', loopback).address).toBe('2001:db8::7')
    expect(clientAddress('2001:0db8::0001', undefined, loopback).address).toBe('2001:db8::1')
  })

  it('gives every IPv4 socket address in the canonical form, whatever way it is written', () => {
    const none = compileTrustedProxies([])
    const octet = fc.integer({ min: 0, max: 255 })
    const written = fc.tuple(octet, octet, octet, octet, fc.constantFrom('plain', 'mapped', 'leading zero')).map(([a, b, c, d, form]) => {
      const dotted = `${a}.${b}.${c}.${d}`
      // A leading zero (octal to some parsers; 0–7 read the same either way) must not pass as canonical.
      if (form === 'leading zero') return { canonical: `${a}.${b}.${c}.${d % 8}`, text: `${a}.${b}.${c}.0${d % 8}` }
      return { canonical: dotted, text: form === 'plain' ? dotted : `::ffff:${dotted}` }
    })
    fc.assert(
      fc.property(written, ({ canonical, text }) => {
        const expected = ipaddr.process(text).toString()
        expect(clientAddress(text, undefined, none)).toEqual({ address: expected, viaTrustedProxy: false })
        expect(expected).toBe(canonical)
      }),
      { numRuns: 500 },
    )
  })

  it('ignores X-Forwarded-For when the socket peer is not trusted', () => {
    expect(clientAddress('198.51.100.7', '10.0.0.7', loopback)).toEqual({ address: '198.51.100.7', viaTrustedProxy: false })
    expect(clientAddress('127.0.0.1', '10.0.0.7', compileTrustedProxies([]))).toEqual({ address: '127.0.0.1', viaTrustedProxy: false })
  })

  it('takes the right-most untrusted hop, skipping trusted ones, across repeated headers', () => {
    const proxies = compileTrustedProxies(['127.0.0.1', '172.16.0.0/12', '2001:db8:ff::/48'])
    expect(clientAddress('127.0.0.1', '203.0.113.9, 10.0.0.7, 172.16.0.9', proxies).address).toBe('10.0.0.7')
    expect(clientAddress('127.0.0.1', ['203.0.113.9, 10.0.0.7', '172.16.0.9'], proxies).address).toBe('10.0.0.7')
    expect(clientAddress('2001:db8:ff::1', '10.0.0.7', proxies)).toEqual({ address: '10.0.0.7', viaTrustedProxy: true })
  })

  it('never believes a hop left of an unparsable one', () => {
    expect(clientAddress('127.0.0.1', '10.0.0.7, garbage', loopback)).toEqual({ address: '127.0.0.1', viaTrustedProxy: true })
    expect(clientAddress('127.0.0.1', '10.0.0.7, 10.0.0.8:443', loopback)).toEqual({ address: '127.0.0.1', viaTrustedProxy: true })
    // A garbage hop left of the first untrusted one is irrelevant: the proxy wrote the right-most.
    expect(clientAddress('127.0.0.1', 'garbage, 10.0.0.7', loopback).address).toBe('10.0.0.7')
  })

  it('stays on the trusted proxy when every hop is trusted or the header is empty', () => {
    expect(clientAddress('127.0.0.1', '127.0.0.1', loopback)).toEqual({ address: '127.0.0.1', viaTrustedProxy: true })
    expect(clientAddress('127.0.0.1', ' , ', loopback)).toEqual({ address: '127.0.0.1', viaTrustedProxy: true })
    expect(clientAddress('127.0.0.1', undefined, loopback)).toEqual({ address: '127.0.0.1', viaTrustedProxy: true })
  })

  it('does not trust an unparsable socket address', () => {
    expect(clientAddress('', '10.0.0.7', loopback)).toEqual({ address: '', viaTrustedProxy: false })
  })
})

describe('compileTrustedProxies', () => {
  it('matches addresses and CIDRs of both families, and nothing else', () => {
    const proxies = compileTrustedProxies(['127.0.0.1', '10.1.0.0/16', '2001:db8:ff::/48'])
    expect(proxies.contains('127.0.0.1')).toBe(true)
    expect(proxies.contains('127.0.0.2')).toBe(false)
    expect(proxies.contains('10.1.255.255')).toBe(true)
    expect(proxies.contains('10.2.0.0')).toBe(false)
    expect(proxies.contains('2001:db8:ff:1::1')).toBe(true)
    expect(proxies.contains('2001:db8:fe::1')).toBe(false)
    expect(proxies.contains('not-an-address')).toBe(false)
  })

  it('trusts the whole network of an IPv4-mapped CIDR entry', () => {
    const proxies = compileTrustedProxies(['::ffff:10.0.0.0/104'])
    expect(proxies.contains('10.0.0.5')).toBe(true)
    expect(proxies.contains('::ffff:10.0.0.5')).toBe(true)
  })
})
