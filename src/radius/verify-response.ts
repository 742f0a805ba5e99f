// Matching and authenticity of responses to the requests we send: Accounting-Response
// (RFC 2866 §3), CoA-ACK/NAK and Disconnect-ACK/NAK (RFC 5176 §3, §3.3). Message-Authenticator is
// accepted in both forms met in the field: over the request's authenticator (RFC 5176 §3.3, what
// FreeRADIUS's radclient expects) and over a zeroed field (what the FreeRADIUS 3.2 server sends).
// Both are always computed and compared in constant time, whichever matches.
import {
  authenticatorFieldFor,
  digestsEqual,
  messageAuthenticator,
  responseAuthenticator,
  type MessageAuthenticatorForm,
} from './authenticators.ts'
import { packetCodeName, responseCodesFor } from './codes.ts'
import { dropped, type CheckResult } from './errors.ts'
import { parsePacket, type RadiusPacket } from './packet.ts'

/** What a response is matched against: the request as it was sent. */
export interface SentRequest {
  readonly code: number
  readonly identifier: number
  readonly authenticator: Buffer
}

/** What `verifyResponse` accepts. */
export interface VerifyResponseOptions {
  /** Drop responses without a Message-Authenticator. */
  readonly requireMessageAuthenticator?: boolean
}

/** A response that matches its request and is authentic. */
export interface VerifiedResponse extends RadiusPacket {
  readonly verified: true
  /** Which Message-Authenticator form the peer used; undefined when it sent none. */
  readonly messageAuthenticatorForm: MessageAuthenticatorForm | undefined
}

/** Check a datagram received for `request` with the peer's `secret`. Never throws. */
export function verifyResponse(
  datagram: Uint8Array,
  request: SentRequest,
  secret: Buffer,
  options: VerifyResponseOptions = {},
): CheckResult<VerifiedResponse> {
  try {
    const parsed = parsePacket(datagram)
    if (!parsed.ok) return parsed
    const packet = parsed.packet
    if (!responseCodesFor(request.code).includes(packet.code)) {
      return dropped('unmatched_response', `${packetCodeName(packet.code)} for a ${packetCodeName(request.code)}`)
    }
    if (packet.identifier !== request.identifier) {
      return dropped('unmatched_response', `identifier ${packet.identifier}, sent ${request.identifier}`)
    }
    const maOffset = packet.messageAuthenticatorOffset
    if (maOffset === undefined && options.requireMessageAuthenticator === true) {
      return dropped('missing_message_authenticator', `${packetCodeName(packet.code)} without one`)
    }
    if (secret.length === 0) return dropped('bad_authenticator', 'no shared secret configured')
    const expected = responseAuthenticator(packet.bytes, request.authenticator, secret)
    if (!digestsEqual(expected, packet.authenticator)) {
      return dropped('bad_authenticator', `${packetCodeName(packet.code)} Response Authenticator mismatch`)
    }
    let form: MessageAuthenticatorForm | undefined
    if (maOffset !== undefined) {
      form = matchingForm(packet.bytes, maOffset, request.authenticator, secret)
      if (form === undefined) {
        return dropped('bad_message_authenticator', `${packetCodeName(packet.code)} Message-Authenticator mismatch`)
      }
    }
    return { ok: true, packet: { ...packet, verified: true, messageAuthenticatorForm: form } }
  } catch (error) {
    return dropped('malformed', `internal error: ${(error as Error).message}`)
  }
}

function matchingForm(
  bytes: Buffer,
  maOffset: number,
  requestAuth: Buffer,
  secret: Buffer,
): MessageAuthenticatorForm | undefined {
  const received = bytes.subarray(maOffset, maOffset + 16)
  const forms: MessageAuthenticatorForm[] = ['request-authenticator', 'zeroed-authenticator']
  // Evaluate every form before deciding, so timing does not tell which one was tried first.
  const matches = forms.map((form) =>
    digestsEqual(messageAuthenticator(bytes, maOffset, authenticatorFieldFor(form, requestAuth), secret), received),
  )
  const index = matches.indexOf(true)
  return index === -1 ? undefined : forms[index]
}
