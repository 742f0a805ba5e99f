// FreeRADIUS's radclient plays the NAS: it sends Accounting-Requests to a loopback server built on
// the packet layer, which must verify them, decode what radclient encoded, and answer with an
// Accounting-Response radclient accepts.
import type { Socket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAccountingResponse, buildResponse } from '../../src/radius/build-response.ts'
import { PacketCode } from '../../src/radius/codes.ts'
import { decodePacket, type DecodedPacket } from '../../src/radius/decode.ts'
import { verifyRequest } from '../../src/radius/verify-request.ts'
import { peerAvailable, radclientPath } from '../helpers/peers.ts'
import { bindLoopback, runRadclient } from './helpers/udp.ts'

const radclient = radclientPath()
const available = peerAvailable('radclient', radclient ? undefined : 'radclient not on PATH (Debian: freeradius-utils)')
const SECRET = 'acct-secret-7'

function requestText(status: string, withMa: boolean): string {
  return [
    `Acct-Status-Type = ${status}`,
    'Acct-Session-Id = "5f3e-0001"',
    'User-Name = "8613800138000@cmnet"',
    'Calling-Station-Id = "8613800138000"',
    'NAS-IP-Address = 10.20.30.40',
    'Framed-IP-Address = 10.64.1.23',
    'Framed-IPv6-Prefix = 2409:8a00:1:2::/64',
    'Delegated-IPv6-Prefix = 2409:8a00:7700::/56',
    '3GPP-IMSI = "460001234567890"',
    '3GPP-RAT-Type = EUTRAN',
    'Event-Timestamp = 1700000000',
    'Proxy-State = 0x70726f7879',
    ...(withMa ? ['Message-Authenticator = 0x00'] : []),
  ].join('\n')
}

describe.skipIf(!available)('Accounting-Requests from radclient', () => {
  let socket: Socket
  let port = 0
  let requireMessageAuthenticator = false
  let answerForm: 'zeroed-authenticator' | 'request-authenticator' = 'zeroed-authenticator'
  const received: DecodedPacket[] = []
  const drops: string[] = []

  beforeAll(async () => {
    socket = await bindLoopback((message, from) => {
      const result = verifyRequest(message, Buffer.from(SECRET), {
        requireMessageAuthenticator,
        codes: [PacketCode.AccountingRequest],
      })
      if (!result.ok) {
        drops.push(result.reason)
        return
      }
      received.push(decodePacket(result.packet))
      const response =
        answerForm === 'zeroed-authenticator'
          ? buildAccountingResponse(result.packet, Buffer.from(SECRET))
          : buildResponse(result.packet, PacketCode.AccountingResponse, Buffer.from(SECRET), {
              messageAuthenticator: result.packet.hasMessageAuthenticator ? 'request-authenticator' : false,
            })
      socket.send(response, from.port, from.address)
    })
    port = socket.address().port
  })

  afterAll(async () => {
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()))
  })

  for (const status of ['Start', 'Interim-Update', 'Stop', 'Accounting-On']) {
    for (const withMa of [false, true]) {
      const how = withMa ? 'with' : 'without'
      it(`verifies ${status} ${how} Message-Authenticator and radclient accepts the answer`, async () => {
        const run = await runRadclient(radclient ?? '', port, 'acct', SECRET, requestText(status, withMa))
        expect(run.output).toMatch(new RegExp(`Received Accounting-Response Id \\d+ from 127\\.0\\.0\\.1:${port}`))
        expect(run.code, run.output).toBe(0)
        const decoded = received.at(-1)
        expect(decoded?.hasMessageAuthenticator).toBe(withMa)
        expect(decoded?.attributes).toMatchObject({
          'Acct-Status-Type': status,
          'Calling-Station-Id': '8613800138000',
          'Framed-IP-Address': '10.64.1.23',
          'Framed-IPv6-Prefix': '2409:8a00:1:2::/64',
          'Delegated-IPv6-Prefix': '2409:8a00:7700::/56',
          '3GPP-IMSI': '460001234567890',
          '3GPP-RAT-Type': 6,
          'Event-Timestamp': 1_700_000_000,
        })
      })
    }
  }

  it('drops a request signed with another secret, so radclient gets no answer', async () => {
    const run = await runRadclient(radclient ?? '', port, 'acct', 'not-the-secret', requestText('Start', true), 1)
    expect(run.code).not.toBe(0)
    expect(run.output).toMatch(/No reply from server/)
    expect(drops.at(-1)).toBe('bad_authenticator')
  })

  it('drops a request without Message-Authenticator from a NAS that must send one', async () => {
    requireMessageAuthenticator = true
    try {
      const without = await runRadclient(radclient ?? '', port, 'acct', SECRET, requestText('Start', false), 1)
      expect(without.code).not.toBe(0)
      expect(drops.at(-1)).toBe('missing_message_authenticator')
      const withMa = await runRadclient(radclient ?? '', port, 'acct', SECRET, requestText('Start', true))
      expect(withMa.code, withMa.output).toBe(0)
    } finally {
      requireMessageAuthenticator = false
    }
  })

  it('signs over a zeroed field because radclient rejects the request-authenticator form', async () => {
    answerForm = 'request-authenticator'
    try {
      const run = await runRadclient(radclient ?? '', port, 'acct', SECRET, requestText('Stop', true), 1)
      expect(run.code).not.toBe(0)
      expect(run.output).toMatch(/invalid Message-Authenticator/)
    } finally {
      answerForm = 'zeroed-authenticator'
    }
  })
})
