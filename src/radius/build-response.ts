// Building responses: Accounting-Response (RFC 2866 §3, §4.2) and, for peers we play in tests or
// tools, CoA/Disconnect ACK and NAK (RFC 5176 §3). Proxy-State is copied in order (RFC 2865
// §5.33); the Response Authenticator is MD5 over the response with the request's authenticator.
// FreeRADIUS 3.2's radclient checks an Accounting-Response's Message-Authenticator over a zeroed
// Authenticator field, so that is the form we send (test/radius/radclient-accounting.test.ts).
import { attributeTypeOf, encodeAttributes, type AttributeInput } from './attribute-encoder.ts'
import {
  authenticatorFieldFor,
  messageAuthenticator,
  responseAuthenticator,
  type MessageAuthenticatorForm,
} from './authenticators.ts'
import { PacketCode } from './codes.ts'
import { Attribute } from './dictionary.ts'
import { RadiusEncodeError } from './errors.ts'
import type { RadiusPacket } from './packet.ts'
import { layOutPacket } from './packet-writer.ts'
import type { VerifiedRequest } from './verify-request.ts'

/** How to build a response. */
export interface ResponseOptions {
  readonly attributes?: readonly AttributeInput[]
  /** Message-Authenticator form to sign with, or false for none. */
  readonly messageAuthenticator?: MessageAuthenticatorForm | false
}

/**
 * Build a response with `code` to `request`, copying its Proxy-State attributes; throws
 * RadiusEncodeError on bad attributes.
 */
export function buildResponse(
  request: RadiusPacket,
  code: number,
  secret: Buffer,
  options: ResponseOptions = {},
): Buffer {
  if (secret.length === 0) throw new RadiusEncodeError('no shared secret configured')
  if ((options.attributes ?? []).some((a) => attributeTypeOf(a) === Attribute.MessageAuthenticator)) {
    throw new RadiusEncodeError('Message-Authenticator is added by the builder')
  }
  const proxyStates = request.attributes
    .filter((attribute) => attribute.type === Attribute.ProxyState)
    .map((attribute) => ({ type: Attribute.ProxyState, value: attribute.value }))
  const attributes = encodeAttributes([...(options.attributes ?? []), ...proxyStates])
  const form = options.messageAuthenticator ?? false
  const { bytes, messageAuthenticatorOffset } = layOutPacket(code, request.identifier, attributes, form !== false)
  if (form !== false && messageAuthenticatorOffset !== undefined) {
    const field = authenticatorFieldFor(form, request.authenticator)
    messageAuthenticator(bytes, messageAuthenticatorOffset, field, secret).copy(bytes, messageAuthenticatorOffset)
  }
  responseAuthenticator(bytes, request.authenticator, secret).copy(bytes, 4)
  return bytes
}

/**
 * Build the Accounting-Response to a verified Accounting-Request, with a Message-Authenticator
 * when the request carried one (or when `alwaysMessageAuthenticator` asks for it).
 */
export function buildAccountingResponse(
  request: VerifiedRequest,
  secret: Buffer,
  options: { readonly attributes?: readonly AttributeInput[]; readonly alwaysMessageAuthenticator?: boolean } = {},
): Buffer {
  if (request.code !== PacketCode.AccountingRequest) {
    throw new RadiusEncodeError(`an Accounting-Response cannot answer code ${request.code}`)
  }
  const withMa = request.hasMessageAuthenticator || options.alwaysMessageAuthenticator === true
  return buildResponse(request, PacketCode.AccountingResponse, secret, {
    attributes: options.attributes ?? [],
    messageAuthenticator: withMa ? 'zeroed-authenticator' : false,
  })
}
