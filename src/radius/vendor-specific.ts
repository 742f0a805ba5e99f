// Vendor-Specific attribute layout, RFC 2865 §5.26: 4-octet Vendor-Id, then the vendor's string,
// which most vendors (3GPP TS 29.061 §16.4.7 among them) fill with sub-attributes of 1-octet
// type and 1-octet length, as the RFC suggests. Some vendors use other layouts, so a string that
// does not split is not an error in itself; the caller decides.

/** One vendor sub-attribute. */
export interface VendorSubAttribute {
  readonly type: number
  readonly value: Buffer
}

/** A Vendor-Specific value split into its vendor id and, when it has that layout, sub-attributes. */
export interface VendorSpecific {
  readonly vendorId: number
  /** Undefined when the vendor string is not a run of RFC 2865-style sub-attributes. */
  readonly subAttributes: readonly VendorSubAttribute[] | undefined
}

/** Split a Vendor-Specific value (already checked to be at least 5 octets, high octet 0). */
export function splitVendorSpecific(value: Buffer): VendorSpecific {
  const vendorId = value.readUInt32BE(0)
  const subAttributes: VendorSubAttribute[] = []
  let offset = 4
  while (offset < value.length) {
    if (value.length - offset < 2) return { vendorId, subAttributes: undefined }
    const type = value[offset] ?? 0
    const length = value[offset + 1] ?? 0
    if (length < 2 || offset + length > value.length) return { vendorId, subAttributes: undefined }
    subAttributes.push({ type, value: value.subarray(offset + 2, offset + length) })
    offset += length
  }
  return { vendorId, subAttributes }
}
