// radclient sends CoA-Request and Disconnect-Request to a loopback NAS stand-in built on the
// packet layer. This pins down the Message-Authenticator disagreement inside FreeRADIUS 3.2:
// radclient accepts ACKs signed over the request's authenticator and rejects the zeroed form that
// the FreeRADIUS server sends (freeradius-coa.test.ts); our verifier accepts both.
import type { Socket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MessageAuthenticatorForm } from '../../src/radius/authenticators.ts'
import { buildResponse } from '../../src/radius/build-response.ts'
import { PacketCode, responseCodesFor } from '../../src/radius/codes.ts'
import { verifyRequest, type VerifiedRequest } from '../../src/radius/verify-request.ts'
import { verifyResponse } from '../../src/radius/verify-response.ts'
import { peerAvailable, radclientPath } from '../helpers/peers.ts'
import { bindLoopback, runRadclient } from './helpers/udp.ts'

const radclient = radclientPath()
const available = peerAvailable('radclient', radclient ? undefined : 'radclient not on PATH (Debian: freeradius-utils)')
const SECRET = 'nas-coa-secret'
const INPUT = [
  'User-Name = "8613800138000@cmnet"',
  'Acct-Session-Id = "5f3e-0001"',
  'Event-Timestamp = 1700000000',
  'Message-Authenticator = 0x00',
].join('\n')

describe.skipIf(!available)('CoA and Disconnect from radclient', () => {
  let nas: Socket
  let port = 0
  let form: MessageAuthenticatorForm = 'request-authenticator'
  const exchanges: Array<{ request: VerifiedRequest; response: Buffer }> = []

  beforeAll(async () => {
    nas = await bindLoopback((message, from) => {
      const result = verifyRequest(message, Buffer.from(SECRET), {
        requireMessageAuthenticator: true,
        codes: [PacketCode.CoaRequest, PacketCode.DisconnectRequest],
      })
      if (!result.ok) return
      const ack = responseCodesFor(result.packet.code)[0] ?? 0
      const response = buildResponse(result.packet, ack, Buffer.from(SECRET), { messageAuthenticator: form })
      exchanges.push({ request: result.packet, response })
      nas.send(response, from.port, from.address)
    })
    port = nas.address().port
  })

  afterAll(async () => {
    if (nas) await new Promise<void>((resolve) => nas.close(() => resolve()))
  })

  for (const [type, ackName] of [
    ['coa', 'CoA-ACK'],
    ['disconnect', 'Disconnect-ACK'],
  ] as const) {
    it(`radclient accepts a ${ackName} signed over the request authenticator, and so do we`, async () => {
      form = 'request-authenticator'
      const before = exchanges.length
      const run = await runRadclient(radclient ?? '', port, type, SECRET, INPUT)
      expect(run.output).toMatch(new RegExp(`Received ${ackName} Id \\d+ from 127\\.0\\.0\\.1:${port}`))
      expect(run.code, run.output).toBe(0)
      expect(exchanges.length).toBe(before + 1)
      const last = exchanges.at(-1)
      const checked = last && verifyResponse(last.response, last.request, Buffer.from(SECRET))
      expect(checked?.ok && checked.packet.messageAuthenticatorForm).toBe('request-authenticator')
    })

    it(`radclient rejects a ${ackName} signed over a zeroed field, which we accept`, async () => {
      form = 'zeroed-authenticator'
      const run = await runRadclient(radclient ?? '', port, type, SECRET, INPUT, 1)
      expect(run.output).toMatch(/invalid Message-Authenticator/)
      expect(run.code).not.toBe(0)
      const last = exchanges.at(-1)
      const checked = last && verifyResponse(last.response, last.request, Buffer.from(SECRET))
      expect(checked?.ok && checked.packet.messageAuthenticatorForm).toBe('zeroed-authenticator')
    })
  }
})
