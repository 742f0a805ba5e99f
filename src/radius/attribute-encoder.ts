// Encoding attributes to send: RFC 2865 §5 (type, length ≤ 255, value ≤ 253 octets) and §5.26
// (Vendor-Specific, one sub-attribute per attribute, as FreeRADIUS sends them). Every value we
// emit passes the same size checks as the values we receive.
import { Attribute, attributeByName, standardAttribute, valueProblem, vendorAttribute } from './dictionary.ts'
import { RadiusEncodeError } from './errors.ts'
import { encodeValue, type AttributeInputValue } from './value-codecs.ts'
import { enumValue } from './values.ts'

/**
 * One attribute to send: by dictionary name (standard or 3GPP), or raw by number, or as a raw
 * vendor sub-attribute for vendors outside the dictionary.
 */
export type AttributeInput =
  | { readonly name: string; readonly value: AttributeInputValue }
  | { readonly type: number; readonly value: Buffer }
  | { readonly vendorId: number; readonly vendorType: number; readonly value: Buffer }

function tlv(type: number, value: Buffer, label: string): Buffer {
  if (value.length > 253) throw new RadiusEncodeError(`${label}: value of ${value.length} octets, over 253`)
  return Buffer.concat([Buffer.from([type, value.length + 2]), value])
}

function vendorSpecific(vendorId: number, vendorType: number, value: Buffer, label: string): Buffer {
  if (!Number.isInteger(vendorId) || vendorId < 1 || vendorId > 0xffffff) {
    throw new RadiusEncodeError(`${label}: vendor id ${vendorId}`)
  }
  if (!Number.isInteger(vendorType) || vendorType < 1 || vendorType > 255) {
    throw new RadiusEncodeError(`${label}: vendor type ${vendorType}`)
  }
  const head = Buffer.alloc(4)
  head.writeUInt32BE(vendorId)
  return tlv(Attribute.VendorSpecific, Buffer.concat([head, tlv(vendorType, value, label)]), label)
}

/** The number of standard attribute `input` encodes to (26 for vendor attributes). */
export function attributeTypeOf(input: AttributeInput): number | undefined {
  if ('vendorId' in input) return Attribute.VendorSpecific
  if ('type' in input) return input.type
  const definition = attributeByName(input.name)
  if (definition === undefined) return undefined
  return definition.vendorId === undefined ? definition.type : Attribute.VendorSpecific
}

/** Encode one attribute to its wire form; throws RadiusEncodeError on a bad name or value. */
export function encodeAttribute(input: AttributeInput): Buffer {
  if ('vendorId' in input) {
    const label = `Attr-26.${input.vendorId}.${input.vendorType}`
    const definition = vendorAttribute(input.vendorId, input.vendorType)
    const problem = definition && valueProblem(definition.kind, input.value)
    if (problem) throw new RadiusEncodeError(`${label}: ${problem}`)
    return vendorSpecific(input.vendorId, input.vendorType, input.value, label)
  }
  if ('type' in input) {
    if (!Number.isInteger(input.type) || input.type < 1 || input.type > 255) {
      throw new RadiusEncodeError(`attribute type ${input.type}`)
    }
    const definition = standardAttribute(input.type)
    const problem = definition && valueProblem(definition.kind, input.value)
    if (problem) throw new RadiusEncodeError(`Attr-${input.type}: ${problem}`)
    return tlv(input.type, input.value, `Attr-${input.type}`)
  }
  const definition = attributeByName(input.name)
  if (definition === undefined) throw new RadiusEncodeError(`unknown attribute ${input.name}`)
  let value = input.value
  if (typeof value === 'string' && definition.kind.endsWith('integer')) {
    value = enumValue(definition.name, value) ?? value
  }
  const encoded = encodeValue(definition.name, definition.kind, value)
  const problem = valueProblem(definition.kind, encoded)
  if (problem) throw new RadiusEncodeError(`${definition.name}: ${problem}`)
  return definition.vendorId === undefined
    ? tlv(definition.type, encoded, definition.name)
    : vendorSpecific(definition.vendorId, definition.type, encoded, definition.name)
}

/** Encode a list of attributes, in order. */
export function encodeAttributes(inputs: readonly AttributeInput[]): Buffer {
  return Buffer.concat(inputs.map(encodeAttribute))
}
