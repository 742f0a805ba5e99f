// Attribute dictionary: data types of RFC 2865 §5 (text/string, address, integer, time), RFC 8044
// §3 (ipv6addr, ipv6prefix, ifid) and the value sizes they imply, used to reject malformed
// attributes before anything decodes them; lookups by number and by name.
import { STANDARD_ATTRIBUTES } from './dictionary-standard.ts'
import { THREE_GPP_ATTRIBUTES, VENDOR_3GPP } from './dictionary-3gpp.ts'

/** How an attribute's value is laid out on the wire. */
export type AttributeKind =
  | 'string'
  | 'octets'
  | 'integer'
  | 'date'
  | 'ipaddr'
  | 'ipv6addr'
  | 'ipv6prefix'
  | 'ifid'
  | 'short'
  | 'byte'
  | 'tagged-string'
  | 'tagged-integer'
  | 'secret'
  | 'vsa'
  | 'message-authenticator'

/** One known attribute; `vendorId` is set for vendor-specific ones. */
export interface AttributeDefinition {
  readonly type: number
  readonly name: string
  readonly kind: AttributeKind
  readonly vendorId?: number
}

/** Numbers of the standard attributes this layer handles itself. */
export const Attribute = {
  UserName: 1,
  NasIpAddress: 4,
  FramedIpAddress: 8,
  VendorSpecific: 26,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  AcctStatusType: 40,
  AcctSessionId: 44,
  EventTimestamp: 55,
  MessageAuthenticator: 80,
  FramedIpv6Prefix: 97,
  ErrorCause: 101,
  DelegatedIpv6Prefix: 123,
} as const

const byType = new Map<number, AttributeDefinition>()
const byVendorType = new Map<string, AttributeDefinition>()
const byName = new Map<string, AttributeDefinition>()

for (const [type, name, kind] of STANDARD_ATTRIBUTES) {
  const definition = { type, name, kind }
  byType.set(type, definition)
  byName.set(name.toLowerCase(), definition)
}
for (const [type, name, kind] of THREE_GPP_ATTRIBUTES) {
  const definition = { type, name, kind, vendorId: VENDOR_3GPP }
  byVendorType.set(`${VENDOR_3GPP}.${type}`, definition)
  byName.set(name.toLowerCase(), definition)
}

/** The definition of standard attribute `type`, if we know it. */
export function standardAttribute(type: number): AttributeDefinition | undefined {
  return byType.get(type)
}

/** The definition of sub-attribute `type` of vendor `vendorId`, if we know it. */
export function vendorAttribute(vendorId: number, type: number): AttributeDefinition | undefined {
  return byVendorType.get(`${vendorId}.${type}`)
}

/** The definition named `name` (case-insensitive), standard or vendor-specific. */
export function attributeByName(name: string): AttributeDefinition | undefined {
  return byName.get(name.toLowerCase())
}

const fixedSizes: Partial<Record<AttributeKind, number>> = {
  integer: 4,
  date: 4,
  ipaddr: 4,
  ipv6addr: 16,
  ifid: 8,
  short: 2,
  byte: 1,
  'tagged-integer': 4,
  'message-authenticator': 16,
}

/**
 * Why a value of `kind` cannot be `value`, or undefined when its size is plausible. Only sizes are
 * checked: decoders rely on them, and a wrong size is how truncation and splicing show.
 */
export function valueProblem(kind: AttributeKind, value: Uint8Array): string | undefined {
  const fixed = fixedSizes[kind]
  if (fixed !== undefined) {
    return value.length === fixed ? undefined : `${kind} value of ${value.length} octets, want ${fixed}`
  }
  switch (kind) {
    case 'ipv6prefix': {
      // RFC 3162 §2.3: reserved octet, prefix length in bits, then up to 16 prefix octets.
      if (value.length < 2 || value.length > 18) return `ipv6prefix value of ${value.length} octets`
      const bits = value[1] ?? 0
      if (bits > 128) return `ipv6prefix length ${bits} over 128`
      if (Math.ceil(bits / 8) > value.length - 2) return `ipv6prefix /${bits} in ${value.length - 2} octets`
      return undefined
    }
    case 'tagged-string':
      // The tag octet is optional, but a decoder needs one octet to look at.
      return value.length === 0 ? 'empty tagged string' : undefined
    case 'vsa':
      // RFC 2865 §5.26: Vendor-Id whose high-order octet is 0, then at least one octet.
      if (value.length < 5) return `Vendor-Specific value of ${value.length} octets`
      return value[0] === 0 ? undefined : 'Vendor-Id with a non-zero high-order octet'
    default:
      return undefined
  }
}
