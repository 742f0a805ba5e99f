import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { buildCoaRequest, buildDisconnectRequest } from '../../src/radius/build-request.ts'
import { buildAccountingResponse } from '../../src/radius/build-response.ts'
import { PacketCode } from '../../src/radius/codes.ts'
import { RadiusEncodeError } from '../../src/radius/errors.ts'
import { parsePacket } from '../../src/radius/packet.ts'
import { verifyRequest, type VerifiedRequest } from '../../src/radius/verify-request.ts'
import { verifyResponse } from '../../src/radius/verify-response.ts'
import { signedAccountingRequest, startAttributes } from './helpers/accounting-request.ts'

const secret = Buffer.from('testing123')
const at = new Date('2025-03-01T08:00:00Z')
const session = [
  { name: 'Acct-Session-Id', value: '0a0b0c0d-0001' },
  { name: 'Framed-IP-Address', value: '10.64.1.23' },
]

function verified(datagram: Buffer): VerifiedRequest {
  const result = verifyRequest(datagram, secret, { requireMessageAuthenticator: false })
  if (!result.ok) throw new Error(result.detail)
  return result.packet
}

describe('buildCoaRequest and buildDisconnectRequest', () => {
  it('put Message-Authenticator first and Event-Timestamp last, and sign both', () => {
    const request = buildCoaRequest({ identifier: 5, secret, attributes: session, eventTimestamp: at })
    const parsed = parsePacket(request.bytes)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.packet.attributes.map((a) => a.type)).toEqual([80, 44, 8, 55])
    expect(parsed.packet.attributes.at(-1)?.value.readUInt32BE(0)).toBe(at.getTime() / 1000)
    expect(verifyRequest(request.bytes, secret, { requireMessageAuthenticator: true }).ok).toBe(true)
  })

  it('sign as RFC 5176 §3 and FreeRADIUS 3.2 say: HMAC over zeros, then MD5 over the result', () => {
    const request = buildDisconnectRequest({ identifier: 6, secret, attributes: session, eventTimestamp: at })
    const copy = Buffer.from(request.bytes)
    copy.fill(0, 4, 20)
    const ma = Buffer.from(copy.subarray(22, 38))
    copy.fill(0, 22, 38)
    expect(createHmac('md5', secret).update(copy).digest().equals(ma)).toBe(true)
    ma.copy(copy, 22)
    expect(createHash('md5').update(copy).update(secret).digest().equals(request.authenticator)).toBe(true)
    expect(request.bytes.subarray(4, 20).equals(request.authenticator)).toBe(true)
  })

  it('give byte-identical packets for the same input, so retransmissions can reuse them', () => {
    const input = { identifier: 7, secret, attributes: session, eventTimestamp: at }
    expect(buildCoaRequest(input).bytes.equals(buildCoaRequest(input).bytes)).toBe(true)
    expect(buildCoaRequest(input).code).toBe(PacketCode.CoaRequest)
    expect(buildDisconnectRequest(input).code).toBe(PacketCode.DisconnectRequest)
  })

  it('refuse a caller-supplied Message-Authenticator or Event-Timestamp', () => {
    const withTimestamp = [...session, { name: 'Event-Timestamp', value: at }]
    expect(() => buildCoaRequest({ identifier: 1, secret, attributes: withTimestamp })).toThrow(RadiusEncodeError)
    const withMa = [{ type: 80, value: Buffer.alloc(16) }]
    expect(() => buildCoaRequest({ identifier: 1, secret, attributes: withMa })).toThrow(RadiusEncodeError)
  })

  it('refuse bad identifiers, unknown names, bad values, oversized packets and an empty secret', () => {
    expect(() => buildCoaRequest({ identifier: 256, secret, attributes: session })).toThrow(/identifier/)
    const unknown = [{ name: 'No-Such-Attribute', value: 'x' }]
    expect(() => buildCoaRequest({ identifier: 1, secret, attributes: unknown })).toThrow(/unknown attribute/)
    const badIp = [{ name: 'Framed-IP-Address', value: '10.0.0.256' }]
    expect(() => buildCoaRequest({ identifier: 1, secret, attributes: badIp })).toThrow(/IPv4/)
    const huge = Array.from({ length: 20 }, () => ({ name: 'Filter-Id', value: 'x'.repeat(250) }))
    expect(() => buildCoaRequest({ identifier: 1, secret, attributes: huge })).toThrow(/over 4096/)
    expect(() => buildCoaRequest({ identifier: 1, secret: Buffer.alloc(0), attributes: [] })).toThrow(/secret/)
  })

  it('encode vendor attributes for vendors outside the dictionary', () => {
    const avpair = { vendorId: 9, vendorType: 1, value: Buffer.from('subscriber:command=reauthenticate') }
    const request = buildCoaRequest({ identifier: 8, secret, attributes: [avpair], eventTimestamp: at })
    expect(request.bytes.includes(Buffer.from([26, 41, 0, 0, 0, 9, 1, 35]))).toBe(true)
  })
})

describe('buildAccountingResponse', () => {
  it('answers without Message-Authenticator when the request had none', () => {
    const request = verified(signedAccountingRequest({ secret, identifier: 77, attributes: startAttributes() }))
    const response = buildAccountingResponse(request, secret)
    expect(response.length).toBe(20)
    expect(response[0]).toBe(PacketCode.AccountingResponse)
    expect(response[1]).toBe(77)
    expect(verifyResponse(response, request, secret).ok).toBe(true)
  })

  it('answers with a Message-Authenticator over a zeroed field when the request had one', () => {
    const request = verified(
      signedAccountingRequest({ secret, attributes: startAttributes(), messageAuthenticator: true }),
    )
    const response = buildAccountingResponse(request, secret)
    const copy = Buffer.from(response)
    copy.fill(0, 4, 20)
    copy.fill(0, 22, 38)
    expect(createHmac('md5', secret).update(copy).digest().equals(response.subarray(22, 38))).toBe(true)
    const checked = verifyResponse(response, request, secret, { requireMessageAuthenticator: true })
    expect(checked.ok && checked.packet.messageAuthenticatorForm).toBe('zeroed-authenticator')
  })

  it('copies Proxy-State attributes unchanged and in order (RFC 2865 §5.33)', () => {
    const attributes = [
      ...startAttributes(),
      { type: 33, value: Buffer.from('proxy-1') },
      { type: 33, value: Buffer.from('proxy-2') },
    ]
    const response = buildAccountingResponse(verified(signedAccountingRequest({ secret, attributes })), secret)
    expect(response.subarray(20).toString('latin1')).toBe('!\tproxy-1!\tproxy-2')
  })

  it('refuses to answer anything but an Accounting-Request', () => {
    const coa = verified(buildCoaRequest({ identifier: 1, secret, attributes: session }).bytes)
    expect(() => buildAccountingResponse(coa, secret)).toThrow(RadiusEncodeError)
  })
})
