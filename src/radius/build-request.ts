// Building the requests we send to a NAS: CoA-Request and Disconnect-Request (RFC 5176 §2.3, §3).
// Always with Message-Authenticator (RFC 5176 §3.3, signed as FreeRADIUS 3.2 checks it: over a
// zeroed Authenticator field) and Event-Timestamp (RFC 5176 §3, replay protection). The bytes are
// final: a retransmission must send them unchanged (RFC 5080 §2.2), so nothing here is random
// or time-dependent once built.
import { attributeTypeOf, encodeAttribute, encodeAttributes, type AttributeInput } from './attribute-encoder.ts'
import { authenticatorFieldFor, messageAuthenticator, requestAuthenticator } from './authenticators.ts'
import { PacketCode } from './codes.ts'
import { Attribute } from './dictionary.ts'
import { RadiusEncodeError } from './errors.ts'
import { layOutPacket } from './packet-writer.ts'

/** A signed request, ready to send and to resend byte for byte. */
export interface SignedRequest {
  readonly code: number
  readonly identifier: number
  /** The Request Authenticator, which the response is checked against. */
  readonly authenticator: Buffer
  readonly bytes: Buffer
}

/** What a CoA or Disconnect request is made of. */
export interface DynamicAuthorizationInput {
  /** 0..255, chosen by the caller so that it is unique among its requests in flight to this NAS. */
  readonly identifier: number
  readonly secret: Buffer
  /** Session identification and, for CoA, the changes (RFC 5176 §3). */
  readonly attributes: readonly AttributeInput[]
  /** Event-Timestamp; defaults to now. */
  readonly eventTimestamp?: Date
}

function buildSignedRequest(code: number, input: DynamicAuthorizationInput): SignedRequest {
  if (input.secret.length === 0) throw new RadiusEncodeError('no shared secret configured')
  for (const attribute of input.attributes) {
    const type = attributeTypeOf(attribute)
    if (type === Attribute.MessageAuthenticator || type === Attribute.EventTimestamp) {
      throw new RadiusEncodeError('Message-Authenticator and Event-Timestamp are added by the builder')
    }
  }
  const timestamp = encodeAttribute({ name: 'Event-Timestamp', value: input.eventTimestamp ?? new Date() })
  const attributes = Buffer.concat([encodeAttributes(input.attributes), timestamp])
  const { bytes, messageAuthenticatorOffset } = layOutPacket(code, input.identifier, attributes, true)
  const maOffset = messageAuthenticatorOffset ?? 0
  const zeroed = authenticatorFieldFor('zeroed-authenticator', Buffer.alloc(16))
  messageAuthenticator(bytes, maOffset, zeroed, input.secret).copy(bytes, maOffset)
  // The Request Authenticator covers the finished Message-Authenticator (RFC 5176 §3.3).
  const authenticator = requestAuthenticator(bytes, input.secret)
  authenticator.copy(bytes, 4)
  return { code, identifier: input.identifier, authenticator, bytes }
}

/** Build a CoA-Request; throws RadiusEncodeError on bad attributes or identifier. */
export function buildCoaRequest(input: DynamicAuthorizationInput): SignedRequest {
  return buildSignedRequest(PacketCode.CoaRequest, input)
}

/** Build a Disconnect-Request; throws RadiusEncodeError on bad attributes or identifier. */
export function buildDisconnectRequest(input: DynamicAuthorizationInput): SignedRequest {
  return buildSignedRequest(PacketCode.DisconnectRequest, input)
}
