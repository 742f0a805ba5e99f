// Laying out an outgoing packet, RFC 2865 §3: header, then attributes, Length ≤ 4096. The
// Message-Authenticator (RFC 3579 §3.2) goes first, as draft-ietf-radext-deprecating-radius
// recommends, with a zero value until it is signed; the Authenticator field starts zeroed.
import { Attribute } from './dictionary.ts'
import { RadiusEncodeError } from './errors.ts'
import { HEADER_LENGTH, MAX_PACKET_LENGTH } from './packet.ts'

/** An unsigned packet, and where its Message-Authenticator value sits (when it has one). */
export interface UnsignedPacket {
  readonly bytes: Buffer
  readonly messageAuthenticatorOffset: number | undefined
}

/** Lay out a packet with a zeroed Authenticator field; throws RadiusEncodeError when it cannot. */
export function layOutPacket(
  code: number,
  identifier: number,
  attributes: Buffer,
  withMessageAuthenticator: boolean,
): UnsignedPacket {
  if (!Number.isInteger(identifier) || identifier < 0 || identifier > 255) {
    throw new RadiusEncodeError(`identifier ${identifier} is not 0..255`)
  }
  const maLength = withMessageAuthenticator ? 18 : 0
  const length = HEADER_LENGTH + maLength + attributes.length
  if (length > MAX_PACKET_LENGTH) throw new RadiusEncodeError(`packet of ${length} octets, over ${MAX_PACKET_LENGTH}`)
  const bytes = Buffer.alloc(length)
  bytes[0] = code
  bytes[1] = identifier
  bytes.writeUInt16BE(length, 2)
  if (withMessageAuthenticator) {
    bytes[HEADER_LENGTH] = Attribute.MessageAuthenticator
    bytes[HEADER_LENGTH + 1] = 18
  }
  attributes.copy(bytes, HEADER_LENGTH + maLength)
  return { bytes, messageAuthenticatorOffset: withMessageAuthenticator ? HEADER_LENGTH + 2 : undefined }
}
