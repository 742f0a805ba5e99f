import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { buildCoaRequest, buildDisconnectRequest } from '../../src/radius/build-request.ts'
import { buildResponse } from '../../src/radius/build-response.ts'
import { PacketCode } from '../../src/radius/codes.ts'
import { decodePacket, firstValue } from '../../src/radius/decode.ts'
import { parsePacket, type RadiusPacket } from '../../src/radius/packet.ts'
import { errorCauseNumber, ErrorCause } from '../../src/radius/values.ts'
import { verifyResponse } from '../../src/radius/verify-response.ts'

const secret = Buffer.from('s3cret-for-nas-1')
const request = buildCoaRequest({
  identifier: 42,
  secret,
  attributes: [{ name: 'Acct-Session-Id', value: 'abc' }, { name: 'Filter-Id', value: 'restored' }],
  eventTimestamp: new Date('2025-01-01T00:00:00Z'),
})

function asPacket(bytes: Buffer): RadiusPacket {
  const parsed = parsePacket(bytes)
  if (!parsed.ok) throw new Error(parsed.detail)
  return parsed.packet
}

function outcome(response: Buffer, key = secret, requireMessageAuthenticator = false): string {
  const result = verifyResponse(response, request, key, { requireMessageAuthenticator })
  return result.ok ? `ok ${result.packet.messageAuthenticatorForm ?? 'none'}` : result.reason
}

describe('verifyResponse', () => {
  it('accepts a CoA-ACK whose Message-Authenticator covers the request authenticator (RFC 5176 form)', () => {
    const ack = buildResponse(asPacket(request.bytes), PacketCode.CoaAck, secret, {
      messageAuthenticator: 'request-authenticator',
    })
    expect(outcome(ack)).toBe('ok request-authenticator')
  })

  it('accepts a CoA-ACK whose Message-Authenticator covers a zeroed field (FreeRADIUS server form)', () => {
    const ack = buildResponse(asPacket(request.bytes), PacketCode.CoaAck, secret, {
      messageAuthenticator: 'zeroed-authenticator',
    })
    expect(outcome(ack)).toBe('ok zeroed-authenticator')
  })

  it('accepts a response without Message-Authenticator unless one is required', () => {
    const ack = buildResponse(asPacket(request.bytes), PacketCode.CoaAck, secret)
    expect(outcome(ack)).toBe('ok none')
    expect(outcome(ack, secret, true)).toBe('missing_message_authenticator')
  })

  it('checks the Response Authenticator as MD5 over the response with the request authenticator', () => {
    const ack = buildResponse(asPacket(request.bytes), PacketCode.CoaAck, secret)
    const expected = Buffer.from(ack)
    request.authenticator.copy(expected, 4)
    const digest = createHash('md5').update(expected).update(secret).digest()
    expect(ack.subarray(4, 20).equals(digest)).toBe(true)
  })

  it('drops a response signed with another secret', () => {
    const ack = buildResponse(asPacket(request.bytes), PacketCode.CoaAck, Buffer.from('other'))
    expect(outcome(ack)).toBe('bad_authenticator')
  })

  it('drops a response with a Message-Authenticator in neither form', () => {
    const ack = buildResponse(asPacket(request.bytes), PacketCode.CoaAck, secret, {
      messageAuthenticator: 'zeroed-authenticator',
    })
    ack[22] = (ack[22] ?? 0) ^ 0x80
    // Re-sign the Response Authenticator so only the Message-Authenticator is wrong.
    request.authenticator.copy(ack, 4)
    createHash('md5').update(ack).update(secret).digest().copy(ack, 4)
    expect(outcome(ack)).toBe('bad_message_authenticator')
  })

  it('drops a response with another identifier or a code that does not answer the request', () => {
    const other = asPacket(buildCoaRequest({ identifier: 43, secret, attributes: [] }).bytes)
    expect(outcome(buildResponse(other, PacketCode.CoaAck, secret))).toBe('unmatched_response')
    const disconnectAck = buildResponse(asPacket(request.bytes), PacketCode.DisconnectAck, secret)
    expect(outcome(disconnectAck)).toBe('unmatched_response')
  })

  it('drops a truncated response as malformed', () => {
    const ack = buildResponse(asPacket(request.bytes), PacketCode.CoaAck, secret)
    expect(outcome(ack.subarray(0, 19))).toBe('malformed')
  })

  it('gives the Error-Cause of a Disconnect-NAK as its RFC 5176 number', () => {
    const attributes = [{ name: 'User-Name', value: 'u' }]
    const disconnect = buildDisconnectRequest({ identifier: 9, secret, attributes })
    const nak = buildResponse(asPacket(disconnect.bytes), PacketCode.DisconnectNak, secret, {
      attributes: [{ name: 'Error-Cause', value: 'Session-Context-Not-Found' }],
    })
    const result = verifyResponse(nak, disconnect, secret)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const decoded = decodePacket(result.packet)
    expect(firstValue(decoded, 'Error-Cause')).toBe('Session-Context-Not-Found')
    expect(errorCauseNumber(firstValue(decoded, 'Error-Cause'))).toBe(ErrorCause.SessionContextNotFound)
  })
})
