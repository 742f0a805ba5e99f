// Authenticity of received requests: Accounting-Request (RFC 2866 §3), CoA-Request and
// Disconnect-Request (RFC 5176 §3), with Message-Authenticator (RFC 3579 §3.2, RFC 5176 §3.3)
// computed as FreeRADIUS 3.2 does for these codes: Authenticator field zeroed. A per-peer flag
// makes Message-Authenticator mandatory (BlastRADIUS hardening, draft-ietf-radext-deprecating-radius).
import {
  authenticatorFieldFor,
  digestsEqual,
  messageAuthenticator,
  requestAuthenticator,
} from './authenticators.ts'
import { packetCodeName, SIGNED_REQUEST_CODES } from './codes.ts'
import { dropped, type CheckResult } from './errors.ts'
import { parsePacket, type RadiusPacket } from './packet.ts'

/** What `verifyRequest` accepts. */
export interface VerifyRequestOptions {
  /** Drop requests without a Message-Authenticator (set per NAS). */
  readonly requireMessageAuthenticator: boolean
  /** Request codes accepted here; defaults to Accounting-, CoA- and Disconnect-Request. */
  readonly codes?: readonly number[]
}

/** A request whose structure, Request Authenticator and Message-Authenticator all checked out. */
export interface VerifiedRequest extends RadiusPacket {
  readonly verified: true
  readonly hasMessageAuthenticator: boolean
}

/**
 * Check a received request datagram with the sending peer's `secret`. Never throws: every failure
 * is a drop with a reason. Only a verified request may be decoded or answered.
 */
export function verifyRequest(
  datagram: Uint8Array,
  secret: Buffer,
  options: VerifyRequestOptions,
): CheckResult<VerifiedRequest> {
  try {
    const parsed = parsePacket(datagram)
    if (!parsed.ok) return parsed
    const packet = parsed.packet
    const codes = options.codes ?? SIGNED_REQUEST_CODES
    if (!codes.includes(packet.code) || !SIGNED_REQUEST_CODES.includes(packet.code)) {
      return dropped('unsupported_code', `${packetCodeName(packet.code)} not accepted here`)
    }
    const maOffset = packet.messageAuthenticatorOffset
    if (maOffset === undefined && options.requireMessageAuthenticator) {
      return dropped('missing_message_authenticator', `${packetCodeName(packet.code)} without one`)
    }
    if (secret.length === 0) return dropped('bad_authenticator', 'no shared secret configured')
    if (!digestsEqual(requestAuthenticator(packet.bytes, secret), packet.authenticator)) {
      return dropped('bad_authenticator', `${packetCodeName(packet.code)} Request Authenticator mismatch`)
    }
    if (maOffset !== undefined) {
      const zeroed = authenticatorFieldFor('zeroed-authenticator', packet.authenticator)
      const expected = messageAuthenticator(packet.bytes, maOffset, zeroed, secret)
      if (!digestsEqual(expected, packet.bytes.subarray(maOffset, maOffset + 16))) {
        return dropped('bad_message_authenticator', `${packetCodeName(packet.code)} Message-Authenticator mismatch`)
      }
    }
    return { ok: true, packet: { ...packet, verified: true, hasMessageAuthenticator: maOffset !== undefined } }
  } catch (error) {
    // Unreachable by design (the fuzz test asserts it); a bug must still not kill the UDP loop.
    return dropped('malformed', `internal error: ${(error as Error).message}`)
  }
}
