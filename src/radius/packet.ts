// Packet structure, RFC 2865 §3 (header, Length field, padding, 20..4096 octets) and §5 (attribute
// type/length), §5.26 (Vendor-Specific), RFC 3579 §3.2 (one Message-Authenticator of 16 octets),
// RFC 3162 §2.3 and RFC 4818 §3 (IPv6 prefixes). The checks of FreeRADIUS's packet sanity pass
// (bar its attribute-count limit) plus value sizes for the attributes we know, made before any
// byte is trusted or decoded.
import { Attribute, standardAttribute, valueProblem, vendorAttribute } from './dictionary.ts'
import { VENDOR_3GPP } from './dictionary-3gpp.ts'
import { dropped, type CheckResult } from './errors.ts'
import { splitVendorSpecific } from './vendor-specific.ts'

/** Size of the fixed header: Code, Identifier, Length, Authenticator. */
export const HEADER_LENGTH = 20

/** Largest packet RFC 2865 §3 allows, and the largest datagram we look at. */
export const MAX_PACKET_LENGTH = 4096

/** One attribute as it is on the wire; `value` is a view into the packet's bytes. */
export interface RawAttribute {
  readonly type: number
  /** Offset of the attribute's type octet in the packet. */
  readonly offset: number
  readonly value: Buffer
}

/** A packet whose structure is sound. Its authenticity is not known yet. */
export interface RadiusPacket {
  readonly code: number
  readonly identifier: number
  /** The 16-octet Authenticator field, a view into `bytes`. */
  readonly authenticator: Buffer
  /** Exactly Length octets, copied from the datagram (padding dropped). */
  readonly bytes: Buffer
  readonly attributes: readonly RawAttribute[]
  /** Offset of the Message-Authenticator attribute's value, when the packet has one. */
  readonly messageAuthenticatorOffset: number | undefined
}

/** Check the structure of a received datagram; never throws. */
export function parsePacket(datagram: Uint8Array): CheckResult<RadiusPacket> {
  if (datagram.length < HEADER_LENGTH) return dropped('malformed', `datagram of ${datagram.length} octets`)
  if (datagram.length > MAX_PACKET_LENGTH) {
    return dropped('malformed', `datagram of ${datagram.length} octets, over ${MAX_PACKET_LENGTH}`)
  }
  const length = ((datagram[2] ?? 0) << 8) | (datagram[3] ?? 0)
  if (length < HEADER_LENGTH) return dropped('malformed', `Length field ${length}`)
  if (length > datagram.length) {
    return dropped('malformed', `Length field ${length}, datagram of ${datagram.length} octets`)
  }
  // A copy: the caller's buffer may be reused, and verification must see what decoding will see.
  const bytes = Buffer.from(datagram.subarray(0, length))
  const attributes: RawAttribute[] = []
  let messageAuthenticatorOffset: number | undefined
  let offset = HEADER_LENGTH
  while (offset < length) {
    if (length - offset < 2) return dropped('malformed', `attribute header cut at offset ${offset}`)
    const type = bytes[offset] ?? 0
    const attributeLength = bytes[offset + 1] ?? 0
    if (type === 0) return dropped('malformed', `attribute type 0 at offset ${offset}`)
    if (attributeLength < 2) {
      return dropped('malformed', `attribute ${type} length ${attributeLength} at offset ${offset}`)
    }
    if (offset + attributeLength > length) {
      return dropped('malformed', `attribute ${type} overflows the packet at offset ${offset}`)
    }
    const value = bytes.subarray(offset + 2, offset + attributeLength)
    const problem = attributeProblem(type, value)
    if (problem !== undefined) return dropped('malformed', `attribute ${type} at offset ${offset}: ${problem}`)
    if (type === Attribute.MessageAuthenticator) {
      if (messageAuthenticatorOffset !== undefined) {
        return dropped('malformed', 'more than one Message-Authenticator')
      }
      messageAuthenticatorOffset = offset + 2
    }
    attributes.push({ type, offset, value })
    offset += attributeLength
  }
  return {
    ok: true,
    packet: {
      code: bytes[0] ?? 0,
      identifier: bytes[1] ?? 0,
      authenticator: bytes.subarray(4, HEADER_LENGTH),
      bytes,
      attributes,
      messageAuthenticatorOffset,
    },
  }
}

function attributeProblem(type: number, value: Buffer): string | undefined {
  const definition = standardAttribute(type)
  if (definition === undefined) return undefined
  const problem = valueProblem(definition.kind, value)
  if (problem !== undefined || type !== Attribute.VendorSpecific) return problem
  // Only the vendor whose attributes we decode is held to a sub-attribute layout.
  const vsa = splitVendorSpecific(value)
  if (vsa.vendorId !== VENDOR_3GPP) return undefined
  if (vsa.subAttributes === undefined) return '3GPP sub-attributes do not fill the attribute'
  for (const sub of vsa.subAttributes) {
    const subDefinition = vendorAttribute(VENDOR_3GPP, sub.type)
    const subProblem = subDefinition && valueProblem(subDefinition.kind, sub.value)
    if (subProblem) return `${subDefinition?.name}: ${subProblem}`
  }
  return undefined
}
