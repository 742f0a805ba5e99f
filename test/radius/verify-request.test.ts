import { createHash, createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { PacketCode } from '../../src/radius/codes.ts'
import { verifyRequest } from '../../src/radius/verify-request.ts'
import { signedAccountingRequest, startAttributes } from './helpers/accounting-request.ts'

const secret = Buffer.from('testing123')
const lax = { requireMessageAuthenticator: false }
const strict = { requireMessageAuthenticator: true }

function outcome(datagram: Uint8Array, key = secret, options = lax): string {
  const result = verifyRequest(datagram, key, options)
  return result.ok ? 'ok' : result.reason
}

/** Re-sign the Request Authenticator only, leaving any Message-Authenticator as it is. */
function resignAuthenticator(packet: Buffer): Buffer {
  const copy = Buffer.from(packet)
  copy.fill(0, 4, 20)
  createHash('md5').update(copy).update(secret).digest().copy(copy, 4)
  return copy
}

describe('verifyRequest', () => {
  it('accepts an Accounting-Request signed with the shared secret, with or without Message-Authenticator', () => {
    expect(outcome(signedAccountingRequest({ secret, attributes: startAttributes() }))).toBe('ok')
    const withMa = signedAccountingRequest({ secret, attributes: startAttributes(), messageAuthenticator: true })
    const result = verifyRequest(withMa, secret, strict)
    expect(result.ok && result.packet.hasMessageAuthenticator).toBe(true)
  })

  it('drops a request signed with another secret', () => {
    const packet = signedAccountingRequest({ secret: Buffer.from('other'), attributes: startAttributes() })
    expect(outcome(packet)).toBe('bad_authenticator')
  })

  it('drops a forgery with the right structure and a random authenticator', () => {
    const packet = signedAccountingRequest({ secret, attributes: startAttributes() })
    randomBytes(16).copy(packet, 4)
    expect(outcome(packet)).toBe('bad_authenticator')
  })

  it('drops a request whose attribute was altered after signing', () => {
    const packet = signedAccountingRequest({ secret, attributes: startAttributes() })
    const at = packet.indexOf('8613800138000')
    packet[at + 12] = 0x39
    expect(outcome(packet)).toBe('bad_authenticator')
  })

  it('drops a request whose Message-Authenticator is wrong even when the authenticator is right', () => {
    const packet = signedAccountingRequest({ secret, attributes: startAttributes(), messageAuthenticator: true })
    const bad = Buffer.from(packet)
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1
    expect(outcome(resignAuthenticator(bad))).toBe('bad_message_authenticator')
  })

  it('drops a Message-Authenticator computed over the authenticator instead of zeros', () => {
    const packet = signedAccountingRequest({ secret, attributes: startAttributes(), messageAuthenticator: true })
    const wrongForm = Buffer.from(packet)
    wrongForm.fill(0, wrongForm.length - 16)
    createHmac('md5', secret).update(wrongForm).digest().copy(wrongForm, wrongForm.length - 16)
    expect(outcome(resignAuthenticator(wrongForm))).toBe('bad_message_authenticator')
  })

  it('drops a request without Message-Authenticator when the NAS must send one', () => {
    const packet = signedAccountingRequest({ secret, attributes: startAttributes() })
    expect(outcome(packet, secret, strict)).toBe('missing_message_authenticator')
  })

  it('drops codes this layer cannot authenticate, and codes the caller did not ask for', () => {
    const access = signedAccountingRequest({ secret, attributes: startAttributes(), code: PacketCode.AccessRequest })
    expect(outcome(access)).toBe('unsupported_code')
    const coa = signedAccountingRequest({ secret, attributes: startAttributes(), code: PacketCode.CoaRequest })
    expect(outcome(coa)).toBe('ok')
    const onlyAccounting = { requireMessageAuthenticator: false, codes: [PacketCode.AccountingRequest] }
    expect(outcome(coa, secret, onlyAccounting)).toBe('unsupported_code')
  })

  it('drops truncated and oversized datagrams as malformed', () => {
    const packet = signedAccountingRequest({ secret, attributes: startAttributes() })
    expect(outcome(packet.subarray(0, packet.length - 3))).toBe('malformed')
    expect(outcome(Buffer.concat([packet, Buffer.alloc(4096)]))).toBe('malformed')
  })

  it('accepts a signed request followed by padding', () => {
    const packet = signedAccountingRequest({ secret, attributes: startAttributes() })
    expect(outcome(Buffer.concat([packet, Buffer.alloc(30, 0xee)]))).toBe('ok')
  })

  it('drops everything when no secret is configured', () => {
    const packet = signedAccountingRequest({ secret: Buffer.alloc(0), attributes: startAttributes() })
    expect(outcome(packet, Buffer.alloc(0))).toBe('bad_authenticator')
  })

  it('does not depend on the caller keeping its buffer intact', () => {
    const datagram = signedAccountingRequest({ secret, attributes: startAttributes() })
    const result = verifyRequest(datagram, secret, lax)
    datagram.fill(0)
    expect(result.ok && result.packet.bytes[0]).toBe(4)
  })
})
