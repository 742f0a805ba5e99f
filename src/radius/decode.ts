// The decoded view of a packet (RFC 2865 §5 attribute values, RFC 2866 §5, RFC 3162, RFC 4818,
// RFC 5176 §3.6, 3GPP TS 29.061 §16.4.7), for the accounting server and support timelines.
// The `radius` package decodes the kinds it handles well (text, integers with their enumerated
// names, dates, IPv4 addresses); value-codecs.ts decodes the rest. It only ever sees packets whose
// structure passed packet.ts, and it is still fenced with try/catch: it throws on some inputs.
import radius from 'radius'
import { packetCodeName } from './codes.ts'
import { Attribute, standardAttribute, vendorAttribute, type AttributeKind } from './dictionary.ts'
import { HEADER_LENGTH, type RadiusPacket, type RawAttribute } from './packet.ts'
import { decodeValue, hexValue, type AttributeValue } from './value-codecs.ts'
import { splitVendorSpecific } from './vendor-specific.ts'

/** A packet as plain data: header fields and attributes by name (repeated ones as arrays). */
export interface DecodedPacket {
  readonly code: number
  readonly codeName: string
  readonly identifier: number
  /** The Authenticator field as hex. */
  readonly authenticator: string
  readonly length: number
  readonly hasMessageAuthenticator: boolean
  readonly attributes: Readonly<Record<string, AttributeValue | AttributeValue[]>>
}

const RADIUS_KINDS: ReadonlySet<AttributeKind> = new Set([
  'string',
  'integer',
  'date',
  'ipaddr',
  'tagged-string',
  'tagged-integer',
])

function decodedByRadius(packet: RadiusPacket, chosen: readonly RawAttribute[]): Map<string, unknown[]> {
  const values = new Map<string, unknown[]>()
  if (chosen.length === 0) return values
  try {
    const parts = chosen.map((a) => packet.bytes.subarray(a.offset, a.offset + 2 + a.value.length))
    const body = Buffer.concat(parts)
    const header = Buffer.alloc(HEADER_LENGTH)
    // Code 4 only tells the package that nothing needs a secret; the values do not depend on it.
    header[0] = 4
    header.writeUInt16BE(HEADER_LENGTH + body.length, 2)
    const decoded = radius.decode_without_secret({ packet: Buffer.concat([header, body]) })
    const counts = new Map<string, number>()
    for (const a of chosen) {
      const name = standardAttribute(a.type)?.name ?? ''
      counts.set(name, (counts.get(name) ?? 0) + 1)
    }
    // The package gives one value for a single occurrence and an array for several.
    for (const [name, value] of Object.entries(decoded.attributes)) {
      values.set(name, (counts.get(name) ?? 0) > 1 && Array.isArray(value) ? value : [value])
    }
  } catch {
    // Fall back to our own decoders for every attribute of this packet.
    values.clear()
  }
  return values
}

function normalise(kind: AttributeKind, value: unknown, raw: Buffer): AttributeValue {
  // Tagged attributes come as [tag, value] when a tag octet was present (RFC 2868 §3).
  const tagged = kind.startsWith('tagged-') && Array.isArray(value) && value.length === 2
  const untagged: unknown = tagged ? (value as unknown[])[1] : value
  if (typeof untagged === 'string' || typeof untagged === 'number') return untagged
  if (untagged instanceof Date) return Math.floor(untagged.getTime() / 1000)
  return decodeValue(kind, raw)
}

function vendorEntries(value: Buffer): Array<[string, AttributeValue]> {
  const vsa = splitVendorSpecific(value)
  if (vsa.subAttributes === undefined) return [[`Attr-26.${vsa.vendorId}`, hexValue(value.subarray(4))]]
  return vsa.subAttributes.map((sub) => {
    const definition = vendorAttribute(vsa.vendorId, sub.type)
    return definition === undefined
      ? [`Attr-26.${vsa.vendorId}.${sub.type}`, hexValue(sub.value)]
      : [definition.name, decodeValue(definition.kind, sub.value)]
  })
}

/** Decode a packet whose structure passed `parsePacket`. Never throws. */
export function decodePacket(packet: RadiusPacket): DecodedPacket {
  const attributes: Record<string, AttributeValue | AttributeValue[]> = {}
  const add = (name: string, value: AttributeValue) => {
    const existing = attributes[name]
    if (existing === undefined) attributes[name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else attributes[name] = [existing, value]
  }
  const forRadius = packet.attributes.filter((a) => {
    const kind = standardAttribute(a.type)?.kind
    return kind !== undefined && RADIUS_KINDS.has(kind)
  })
  const fromRadius = decodedByRadius(packet, forRadius)
  const seen = new Map<string, number>()
  for (const attribute of packet.attributes) {
    if (attribute.type === Attribute.MessageAuthenticator) continue
    if (attribute.type === Attribute.VendorSpecific) {
      for (const [name, value] of vendorEntries(attribute.value)) add(name, value)
      continue
    }
    const definition = standardAttribute(attribute.type)
    if (definition === undefined) {
      add(`Attr-${attribute.type}`, hexValue(attribute.value))
      continue
    }
    const index = seen.get(definition.name) ?? 0
    seen.set(definition.name, index + 1)
    add(definition.name, normalise(definition.kind, fromRadius.get(definition.name)?.[index], attribute.value))
  }
  return {
    code: packet.code,
    codeName: packetCodeName(packet.code),
    identifier: packet.identifier,
    authenticator: packet.authenticator.toString('hex'),
    length: packet.bytes.length,
    hasMessageAuthenticator: packet.messageAuthenticatorOffset !== undefined,
    attributes,
  }
}

/** The first value of attribute `name` in a decoded packet, if present. */
export function firstValue(decoded: DecodedPacket, name: string): AttributeValue | undefined {
  const value = decoded.attributes[name]
  return Array.isArray(value) ? value[0] : value
}
