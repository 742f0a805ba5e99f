// A real FreeRADIUS 3.2 server plays the NAS: it must accept our CoA-Request and
// Disconnect-Request (so our Request Authenticator and Message-Authenticator are what it computes),
// and our response verifier must accept its ACKs and NAKs, whose Message-Authenticator it signs
// over a zeroed Authenticator field.
import type { Socket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requestAuthenticator } from '../../src/radius/authenticators.ts'
import { buildCoaRequest, buildDisconnectRequest, type SignedRequest } from '../../src/radius/build-request.ts'
import { PacketCode } from '../../src/radius/codes.ts'
import { decodePacket, firstValue } from '../../src/radius/decode.ts'
import { ErrorCause, errorCauseNumber } from '../../src/radius/values.ts'
import { verifyResponse } from '../../src/radius/verify-response.ts'
import { freeradiusPath, peerAvailable } from '../helpers/peers.ts'
import { startFreeRadius, type FreeRadius } from './helpers/freeradius.ts'
import { bindLoopback, exchange } from './helpers/udp.ts'

const binary = freeradiusPath()
const available = peerAvailable('freeradius', binary ? undefined : 'freeradius not installed (Debian: freeradius)')
const SECRET = Buffer.from('coa-secret-42')

function session(id: string, identifier: number) {
  return {
    identifier,
    secret: SECRET,
    attributes: [
      { name: 'User-Name', value: '8613800138000@cmnet' },
      { name: 'Acct-Session-Id', value: id },
      { name: 'Framed-IP-Address', value: '10.64.1.23' },
    ],
  }
}

describe.skipIf(!available)('CoA and Disconnect against FreeRADIUS', () => {
  let server: FreeRadius
  let client: Socket

  beforeAll(async () => {
    server = await startFreeRadius(binary ?? '', SECRET.toString())
    client = await bindLoopback(() => {})
  })

  afterAll(async () => {
    if (client) await new Promise<void>((resolve) => client.close(() => resolve()))
    await server?.stop()
  })

  async function send(request: SignedRequest, waitMs = 3_000) {
    const reply = await exchange(client, server.port, request.bytes, waitMs)
    return reply && verifyResponse(reply, request, SECRET, { requireMessageAuthenticator: false })
  }

  it('accepts our CoA-Request and answers a CoA-ACK that our verifier accepts', async () => {
    const result = await send(buildCoaRequest(session('s-1', 1)))
    expect(result?.ok, server.output()).toBe(true)
    if (!result?.ok) return
    expect(result.packet.code).toBe(PacketCode.CoaAck)
    expect(result.packet.messageAuthenticatorForm).toBe('zeroed-authenticator')
  })

  it('accepts our Disconnect-Request and answers a Disconnect-ACK', async () => {
    const result = await send(buildDisconnectRequest(session('s-2', 2)))
    expect(result?.ok && result.packet.code).toBe(PacketCode.DisconnectAck)
    expect(result?.ok && result.packet.messageAuthenticatorForm).toBe('zeroed-authenticator')
  })

  it('answers Disconnect-NAK with Error-Cause 503 for a session it does not know', async () => {
    const result = await send(buildDisconnectRequest(session('gone', 3)))
    expect(result?.ok).toBe(true)
    if (!result?.ok) return
    expect(result.packet.code).toBe(PacketCode.DisconnectNak)
    const cause = errorCauseNumber(firstValue(decodePacket(result.packet), 'Error-Cause'))
    expect(cause).toBe(ErrorCause.SessionContextNotFound)
  })

  it('answers CoA-NAK with Error-Cause 506 when busy', async () => {
    const result = await send(buildCoaRequest(session('busy', 4)))
    expect(result?.ok && result.packet.code).toBe(PacketCode.CoaNak)
    const cause = result?.ok ? errorCauseNumber(firstValue(decodePacket(result.packet), 'Error-Cause')) : undefined
    expect(cause).toBe(ErrorCause.ResourcesUnavailable)
  })

  it('accepts a reply without Message-Authenticator unless we require one', async () => {
    const request = buildCoaRequest(session('no-ma', 5))
    const reply = await exchange(client, server.port, request.bytes, 3_000)
    expect(reply).toBeDefined()
    if (!reply) return
    const lax = verifyResponse(reply, request, SECRET)
    expect(lax.ok && lax.packet.messageAuthenticatorForm).toBeUndefined()
    expect(lax.ok).toBe(true)
    const strict = verifyResponse(reply, request, SECRET, { requireMessageAuthenticator: true })
    expect(strict.ok ? 'ok' : strict.reason).toBe('missing_message_authenticator')
  })

  it('answers a byte-identical retransmission with the same reply', async () => {
    const request = buildCoaRequest(session('s-6', 6))
    const first = await exchange(client, server.port, request.bytes, 3_000)
    const second = await exchange(client, server.port, request.bytes, 3_000)
    expect(first && second && first.equals(second)).toBe(true)
    expect(second && verifyResponse(second, request, SECRET).ok).toBe(true)
  })

  it('rejects its replies under another secret or for another request', async () => {
    const request = buildCoaRequest(session('s-7', 7))
    const reply = await exchange(client, server.port, request.bytes, 3_000)
    expect(reply).toBeDefined()
    if (!reply) return
    const wrongSecret = verifyResponse(reply, request, Buffer.from('coa-secret-43'))
    expect(wrongSecret.ok ? 'ok' : wrongSecret.reason).toBe('bad_authenticator')
    const other = buildCoaRequest(session('s-7', 7))
    const otherRequest = { ...other, authenticator: Buffer.alloc(16, 1) }
    const mismatched = verifyResponse(reply, otherRequest, SECRET)
    expect(mismatched.ok ? 'ok' : mismatched.reason).toBe('bad_authenticator')
  })

  function invalidMaLogged(): number {
    return server.output().split('invalid Message-Authenticator').length - 1
  }

  it('drops a request signed with another secret', async () => {
    const before = invalidMaLogged()
    const request = buildCoaRequest({ ...session('s-8', 8), secret: Buffer.from('wrong') })
    expect(await exchange(client, server.port, request.bytes, 1_000)).toBeUndefined()
    expect(invalidMaLogged()).toBe(before + 1)
  })

  it('drops a request whose Message-Authenticator is wrong though its authenticator is right', async () => {
    const request = buildCoaRequest(session('s-9', 9))
    const tampered = Buffer.from(request.bytes)
    tampered[22] = (tampered[22] ?? 0) ^ 1
    requestAuthenticator(tampered, SECRET).copy(tampered, 4)
    const before = invalidMaLogged()
    expect(await exchange(client, server.port, tampered, 1_000)).toBeUndefined()
    expect(invalidMaLogged()).toBe(before + 1)
  })
})
