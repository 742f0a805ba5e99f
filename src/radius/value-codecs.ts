// Value codecs for the attribute kinds the `radius` package leaves as raw octets or does not know:
// ipv6addr and ipv6prefix (RFC 3162 §2, RFC 4818 §3, RFC 8044 §3.9-3.10), ifid, short, byte, and
// vendor sub-attributes (3GPP TS 29.061 §16.4.7). Values arrive here size-checked (packet.ts).
import ipaddr from 'ipaddr.js'
import type { AttributeKind } from './dictionary.ts'
import { RadiusEncodeError } from './errors.ts'

/** A decoded attribute value: text, a number, or '0x…' hex for opaque octets. */
export type AttributeValue = string | number

/** What a caller may give as the value of an attribute to send. */
export type AttributeInputValue = string | number | Date | Buffer

/** `value` as '0x' followed by lower-case hex, the way FreeRADIUS prints octets. */
export function hexValue(value: Uint8Array): string {
  return `0x${Buffer.from(value).toString('hex')}`
}

function ipv6Text(octets: Uint8Array): string {
  return ipaddr.fromByteArray(Array.from(octets)).toString()
}

/** Decode a size-checked value of `kind`. Never throws for values that passed `valueProblem`. */
export function decodeValue(kind: AttributeKind, value: Buffer): AttributeValue {
  switch (kind) {
    case 'string':
      return value.toString('utf8')
    case 'tagged-string':
      return value.subarray((value[0] ?? 0x20) <= 0x1f ? 1 : 0).toString('utf8')
    case 'integer':
    case 'date':
      return value.readUInt32BE(0)
    case 'tagged-integer':
      return (value[0] ?? 0x20) <= 0x1f ? value.readUIntBE(1, 3) : value.readUInt32BE(0)
    case 'short':
      return value.readUInt16BE(0)
    case 'byte':
      return value[0] ?? 0
    case 'ipaddr':
      return Array.from(value).join('.')
    case 'ipv6addr':
      return ipv6Text(value)
    case 'ipv6prefix': {
      const octets = new Uint8Array(16)
      octets.set(value.subarray(2, 18))
      return `${ipv6Text(octets)}/${value[1] ?? 0}`
    }
    case 'secret':
      return '[redacted]'
    default:
      return hexValue(value)
  }
}

function fail(name: string, why: string): never {
  throw new RadiusEncodeError(`cannot encode ${name}: ${why}`)
}

function uint(name: string, input: AttributeInputValue, max: number): number {
  if (typeof input !== 'number' || !Number.isInteger(input) || input < 0 || input > max) {
    return fail(name, `want an integer 0..${max}, got ${String(input)}`)
  }
  return input
}

function ipv6Octets(name: string, text: string): Buffer {
  if (!ipaddr.IPv6.isValid(text)) return fail(name, `not an IPv6 address: ${text}`)
  return Buffer.from(ipaddr.IPv6.parse(text).toByteArray())
}

/** Encode a caller-supplied value of `kind` for attribute `name`; throws RadiusEncodeError. */
export function encodeValue(name: string, kind: AttributeKind, input: AttributeInputValue): Buffer {
  if (Buffer.isBuffer(input)) return input
  switch (kind) {
    case 'string':
    case 'tagged-string':
      if (typeof input !== 'string' || input.length === 0) return fail(name, 'want a non-empty string')
      return Buffer.from(input, 'utf8')
    case 'octets':
      if (typeof input === 'string' && /^0x([0-9a-f]{2})+$/i.test(input)) return Buffer.from(input.slice(2), 'hex')
      return fail(name, "want a Buffer or '0x…' hex")
    case 'date': {
      const seconds = input instanceof Date ? Math.floor(input.getTime() / 1000) : input
      const out = Buffer.alloc(4)
      out.writeUInt32BE(uint(name, seconds, 0xffffffff))
      return out
    }
    case 'integer':
    case 'tagged-integer': {
      const out = Buffer.alloc(4)
      out.writeUInt32BE(uint(name, input, 0xffffffff))
      return out
    }
    case 'short': {
      const out = Buffer.alloc(2)
      out.writeUInt16BE(uint(name, input, 0xffff))
      return out
    }
    case 'byte':
      return Buffer.from([uint(name, input, 0xff)])
    case 'ipaddr':
      if (typeof input !== 'string' || !ipaddr.IPv4.isValidFourPartDecimal(input)) {
        return fail(name, `not a dotted IPv4 address: ${String(input)}`)
      }
      return Buffer.from(ipaddr.IPv4.parse(input).toByteArray())
    case 'ipv6addr':
      return typeof input === 'string' ? ipv6Octets(name, input) : fail(name, 'want an IPv6 address')
    case 'ipv6prefix': {
      const [address, bits] = typeof input === 'string' ? input.split('/') : []
      const length = Number(bits)
      if (address === undefined || !/^\d{1,3}$/.test(bits ?? '') || length > 128) {
        return fail(name, `want 'address/length', got ${String(input)}`)
      }
      // RFC 3162 §2.3: bits past the prefix length must be zero.
      const keep = (i: number) => Math.min(8, Math.max(0, length - 8 * i))
      const prefix = ipv6Octets(name, address).map((octet, i) => octet & (0xff00 >> keep(i)))
      return Buffer.concat([Buffer.from([0, length]), prefix])
    }
    default:
      return fail(name, `give a Buffer for a ${kind} attribute`)
  }
}
