// RADIUS packet codes: RFC 2865 §3 (Code field), RFC 2866 §4, RFC 5176 §2.3 and §3.
// Only the codes this gateway sends or receives get names; anything else is reported by number.

/** Packet codes the gateway knows by name. */
export const PacketCode = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectAck: 41,
  DisconnectNak: 42,
  CoaRequest: 43,
  CoaAck: 44,
  CoaNak: 45,
} as const

/** One of the named packet codes. */
export type PacketCodeValue = (typeof PacketCode)[keyof typeof PacketCode]

const names = new Map<number, string>([
  [1, 'Access-Request'],
  [2, 'Access-Accept'],
  [3, 'Access-Reject'],
  [4, 'Accounting-Request'],
  [5, 'Accounting-Response'],
  [11, 'Access-Challenge'],
  [12, 'Status-Server'],
  [13, 'Status-Client'],
  [40, 'Disconnect-Request'],
  [41, 'Disconnect-ACK'],
  [42, 'Disconnect-NAK'],
  [43, 'CoA-Request'],
  [44, 'CoA-ACK'],
  [45, 'CoA-NAK'],
])

/** The RFC name of a packet code ('CoA-ACK'), or 'Code-<n>' for one we do not know. */
export function packetCodeName(code: number): string {
  return names.get(code) ?? `Code-${code}`
}

/**
 * Requests whose Request Authenticator is MD5 over the packet with a zeroed authenticator field
 * (RFC 2866 §3, RFC 5176 §3): the only requests this layer can authenticate.
 */
export const SIGNED_REQUEST_CODES: readonly number[] = [
  PacketCode.AccountingRequest,
  PacketCode.CoaRequest,
  PacketCode.DisconnectRequest,
]

const responses = new Map<number, readonly number[]>([
  [PacketCode.AccountingRequest, [PacketCode.AccountingResponse]],
  [PacketCode.CoaRequest, [PacketCode.CoaAck, PacketCode.CoaNak]],
  [PacketCode.DisconnectRequest, [PacketCode.DisconnectAck, PacketCode.DisconnectNak]],
])

/** The response codes a peer may answer `requestCode` with (empty for codes we never send). */
export function responseCodesFor(requestCode: number): readonly number[] {
  return responses.get(requestCode) ?? []
}
