// Enumerated attribute values the gateway acts on: Acct-Status-Type (RFC 2866 §5.1, RFC 2866
// Accounting-On/Off) and Error-Cause (RFC 5176 §3.6). Decoded packets carry the RFC names (the
// `radius` package's dictionary names); these tables turn them back into numbers.
import type { AttributeValue } from './value-codecs.ts'

/** Acct-Status-Type values (RFC 2866 §5.1). */
export const AcctStatusType = {
  Start: 1,
  Stop: 2,
  InterimUpdate: 3,
  AccountingOn: 7,
  AccountingOff: 8,
  Failed: 15,
} as const

/** Error-Cause values of CoA-NAK and Disconnect-NAK (RFC 5176 §3.6). */
export const ErrorCause = {
  ResidualContextRemoved: 201,
  InvalidEapPacket: 202,
  UnsupportedAttribute: 401,
  MissingAttribute: 402,
  NasIdentificationMismatch: 403,
  InvalidRequest: 404,
  UnsupportedService: 405,
  UnsupportedExtension: 406,
  InvalidAttributeValue: 407,
  AdministrativelyProhibited: 501,
  ProxyRequestNotRoutable: 502,
  SessionContextNotFound: 503,
  SessionContextNotRemovable: 504,
  ProxyProcessingError: 505,
  ResourcesUnavailable: 506,
  RequestInitiated: 507,
  MultipleSessionSelectionUnsupported: 508,
} as const

const statusNames = new Map<string, number>([
  ['Start', 1],
  ['Stop', 2],
  ['Interim-Update', 3],
  ['Accounting-On', 7],
  ['Accounting-Off', 8],
  ['Failed', 15],
])

const errorCauseNames = new Map<string, number>([
  ['Residual-Context-Removed', 201],
  ['Invalid-EAP-Packet', 202],
  ['Unsupported-Attribute', 401],
  ['Missing-Attribute', 402],
  ['NAS-Identification-Mismatch', 403],
  ['Invalid-Request', 404],
  ['Unsupported-Service', 405],
  ['Unsupported-Extension', 406],
  ['Invalid-Attribute-Value', 407],
  ['Administratively-Prohibited', 501],
  ['Proxy-Request-Not-Routable', 502],
  ['Session-Context-Not-Found', 503],
  ['Session-Context-Not-Removable', 504],
  ['Proxy-Processing-Error', 505],
  ['Resources-Unavailable', 506],
  ['Request-Initiated', 507],
  ['Multiple-Session-Selection-Unsupported', 508],
])

function toNumber(names: Map<string, number>, value: AttributeValue | undefined): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value === 'string') return names.get(value)
  return undefined
}

/** The numeric Acct-Status-Type of a decoded value ('Accounting-On' → 7), if it is one. */
export function acctStatusTypeNumber(value: AttributeValue | undefined): number | undefined {
  return toNumber(statusNames, value)
}

/** The numeric Error-Cause of a decoded value ('Session-Context-Not-Found' → 503), if it is one. */
export function errorCauseNumber(value: AttributeValue | undefined): number | undefined {
  return toNumber(errorCauseNames, value)
}

/** The number for an enumerated value name of `attribute`, for building packets from names. */
export function enumValue(attribute: string, name: string): number | undefined {
  if (attribute === 'Acct-Status-Type') return statusNames.get(name)
  if (attribute === 'Error-Cause') return errorCauseNames.get(name)
  return undefined
}
