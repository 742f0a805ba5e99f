// Accounting-Requests as a NAS signs them, written from RFC 2866 §3 and RFC 3579 §3.2 with raw
// node:crypto calls rather than src/radius/authenticators.ts, so unit tests do not check the
// authenticator code against itself.
import { createHash, createHmac } from 'node:crypto'
import { encodeAttributes, type AttributeInput } from '../../../src/radius/attribute-encoder.ts'

/** How to sign a test Accounting-Request. */
export interface AccountingRequestSpec {
  identifier?: number
  secret: Buffer
  attributes: AttributeInput[]
  /** Add a Message-Authenticator (placed after the other attributes, as radclient does). */
  messageAuthenticator?: boolean
  /** Code to put in the header; 4 unless a test wants another signed request code. */
  code?: number
}

/** A signed Accounting-Request datagram. */
export function signedAccountingRequest(spec: AccountingRequestSpec): Buffer {
  const body = encodeAttributes(spec.attributes)
  const ma = spec.messageAuthenticator ? Buffer.from([80, 18, ...new Array<number>(16).fill(0)]) : Buffer.alloc(0)
  const packet = Buffer.concat([Buffer.alloc(20), body, ma])
  packet[0] = spec.code ?? 4
  packet[1] = spec.identifier ?? 1
  packet.writeUInt16BE(packet.length, 2)
  if (spec.messageAuthenticator) {
    // Authenticator field is still all zeros here, which is the FreeRADIUS form for requests.
    createHmac('md5', spec.secret).update(packet).digest().copy(packet, packet.length - 16)
  }
  createHash('md5').update(packet).update(spec.secret).digest().copy(packet, 4)
  return packet
}

/** The attributes of a typical P-GW Start record for one subscriber line. */
export function startAttributes(overrides: Partial<Record<string, string | number>> = {}): AttributeInput[] {
  const values: Record<string, string | number> = {
    'Acct-Status-Type': 'Start',
    'Acct-Session-Id': '0a0b0c0d-0001',
    'User-Name': '8613800138000@cmnet',
    'Calling-Station-Id': '8613800138000',
    'Called-Station-Id': 'cmnet',
    'NAS-IP-Address': '10.20.30.40',
    'Framed-IP-Address': '10.64.1.23',
    'Framed-IPv6-Prefix': '2409:8a00:1:2::/64',
    '3GPP-IMSI': '460001234567890',
    'Event-Timestamp': 1_700_000_000,
    ...overrides,
  }
  return Object.entries(values).map(([name, value]) => ({ name, value: value as string | number }))
}
