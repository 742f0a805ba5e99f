// Authenticators: Request Authenticator of Accounting-Request (RFC 2866 §3) and of CoA-Request and
// Disconnect-Request (RFC 5176 §3, same construction); Response Authenticator (RFC 2865 §3,
// RFC 2866 §3, RFC 5176 §3); Message-Authenticator (RFC 3579 §3.2, RFC 5176 §3.3).
//
// Message-Authenticator is an HMAC-MD5 over the packet with its own value zeroed; what sits in the
// Authenticator field during that HMAC differs between implementations. FreeRADIUS 3.2 signs
// Accounting-Request, CoA-Request, Disconnect-Request, Accounting-Response and (its server) CoA and
// Disconnect ACK/NAK with that field zeroed, while its radclient checks CoA/Disconnect ACK/NAK
// against the request's authenticator, as RFC 5176 §3.3 reads. Both forms are computed here.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

const ZERO_AUTHENTICATOR = Buffer.alloc(16)

/** What the Authenticator field holds while a Message-Authenticator is computed. */
export type MessageAuthenticatorForm = 'zeroed-authenticator' | 'request-authenticator'

/** MD5(Code+Identifier+Length + 16 zero octets + Attributes + secret), over Length octets. */
export function requestAuthenticator(packet: Buffer, secret: Buffer): Buffer {
  return createHash('md5')
    .update(packet.subarray(0, 4))
    .update(ZERO_AUTHENTICATOR)
    .update(packet.subarray(20))
    .update(secret)
    .digest()
}

/** MD5(Code+Identifier+Length + the request's Authenticator + Attributes + secret). */
export function responseAuthenticator(response: Buffer, requestAuth: Buffer, secret: Buffer): Buffer {
  return createHash('md5')
    .update(response.subarray(0, 4))
    .update(requestAuth)
    .update(response.subarray(20))
    .update(secret)
    .digest()
}

/**
 * HMAC-MD5 keyed with the secret over the packet, with `authenticatorField` in place of its
 * Authenticator and zeros in place of the Message-Authenticator value at `valueOffset`.
 */
export function messageAuthenticator(
  packet: Buffer,
  valueOffset: number,
  authenticatorField: Buffer,
  secret: Buffer,
): Buffer {
  return createHmac('md5', secret)
    .update(packet.subarray(0, 4))
    .update(authenticatorField)
    .update(packet.subarray(20, valueOffset))
    .update(ZERO_AUTHENTICATOR)
    .update(packet.subarray(valueOffset + 16))
    .digest()
}

/** The Authenticator field content used for `form` (zeros, or the request's authenticator). */
export function authenticatorFieldFor(form: MessageAuthenticatorForm, requestAuth: Buffer): Buffer {
  return form === 'zeroed-authenticator' ? ZERO_AUTHENTICATOR : requestAuth
}

/** Constant-time equality of two digests; false (not an exception) when lengths differ. */
export function digestsEqual(expected: Buffer, received: Buffer): boolean {
  if (expected.length !== received.length) return false
  return timingSafeEqual(expected, received)
}
