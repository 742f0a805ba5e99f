// CoA/Disconnect outcomes counted by the network adapter per configured NAS name: a silent NAS
// gives a CoA timeout and then a Disconnect timeout (the fallback); Error-Cause labels stay within
// RFC 5176's list.
import { createSocket, type Socket } from 'node:dgram'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRadiusNetwork } from '../../src/adapters/network/radius-network.ts'
import { createCoaMetrics, errorCauseLabel } from '../../src/metrics/coa-metrics.ts'
import { createDynamicAuthorizationClient, type DynamicAuthorizationClient } from '../../src/radius/dynamic-authorization-client.ts'
import { createNasDirectory } from '../../src/radius/nas-directory.ts'
import { buildResponse } from '../../src/radius/build-response.ts'
import { PacketCode } from '../../src/radius/codes.ts'
import { parsePacket } from '../../src/radius/packet.ts'
import { sample } from './scrape.ts'

describe('CoA metrics', () => {
  it('label a NAK by its RFC 5176 Error-Cause, "none" without one and "other" outside the list', () => {
    expect(errorCauseLabel({ kind: 'nak', errorCause: 503 })).toBe('503')
    expect(errorCauseLabel({ kind: 'nak', errorCause: 506 })).toBe('506')
    expect(errorCauseLabel({ kind: 'nak', errorCause: null })).toBe('none')
    expect(errorCauseLabel({ kind: 'nak', errorCause: 4_000_000_000 })).toBe('other')
    expect(errorCauseLabel({ kind: 'ack' })).toBe('')
    expect(errorCauseLabel({ kind: 'timeout' })).toBe('')
  })

  describe('against a NAS that never answers', () => {
    let silent: Socket
    let client: DynamicAuthorizationClient
    const received: Buffer[] = []
    beforeAll(async () => {
      silent = createSocket('udp4')
      silent.on('message', (m) => received.push(m))
      await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', () => resolve()))
      client = await createDynamicAuthorizationClient({ bindHost: '127.0.0.1', schedule: { initialMs: 50, maxIntervalMs: 200, maxSends: 3, deadlineMs: 600 } })
    })
    afterAll(async () => {
      await client?.close()
      silent?.close()
    })

    it('counts a CoA timeout and the Disconnect fallback\'s timeout under the NAS\'s configured name', async () => {
      const registry = new Registry()
      const directory = createNasDirectory([
        { id: 7, name: 'bras-silent', realm: 'default', address: '10.9.0.0/24', secret: Buffer.from('silent-secret'), requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: silent.address().port, liftProfile: 'coa', coaAttributes: [] },
      ])
      const network = createRadiusNetwork({ directory, client, metrics: createCoaMetrics(registry) })
      const result = await network.restoreService({ nasId: 7, acctSessionId: 'quiet-1', msisdn: '8613800000099', framedIp: '10.9.0.5' })
      expect(result.outcome.kind).toBe('failed')
      expect(received.length).toBeGreaterThanOrEqual(2) // the NAS did get the requests
      const text = await registry.metrics()
      expect(sample(text, 'gateway_coa_responses_total', { nas: 'bras-silent', kind: 'coa', outcome: 'timeout', error_cause: '' })).toBe(1)
      expect(sample(text, 'gateway_coa_responses_total', { nas: 'bras-silent', kind: 'disconnect', outcome: 'timeout', error_cause: '' })).toBe(1)
    })
  })

  describe('against a forger answering before the NAS', () => {
    // One UDP socket plays both: for each CoA-Request it first sends three datagrams that must not
    // count as the answer (signed with another secret, for another identifier, cut short), then
    // the genuine CoA-ACK.
    const SECRET = Buffer.from('forged-test-secret')
    let nas: Socket
    let client: DynamicAuthorizationClient
    const registry = new Registry()
    const coaMetrics = createCoaMetrics(registry)
    beforeAll(async () => {
      nas = createSocket('udp4')
      nas.on('message', (message, from) => {
        const parsed = parsePacket(message)
        if (!parsed.ok) return
        const request = parsed.packet
        const genuine = buildResponse(request, PacketCode.CoaAck, SECRET)
        const forged = [
          buildResponse(request, PacketCode.CoaAck, Buffer.from('not-the-secret')),
          buildResponse({ ...request, identifier: (request.identifier + 1) % 256 }, PacketCode.CoaAck, SECRET),
          genuine.subarray(0, 3),
        ]
        for (const datagram of [...forged, genuine]) nas.send(datagram, from.port, from.address)
      })
      await new Promise<void>((resolve) => nas.bind(0, '127.0.0.1', () => resolve()))
      client = await createDynamicAuthorizationClient({ bindHost: '127.0.0.1', onIgnored: (reason) => coaMetrics.ignored(reason) })
    })
    afterAll(async () => {
      await client?.close()
      nas?.close()
    })

    it('takes only the genuine answer, keeps what it ignored on the exchange and counts each by reason', async () => {
      const directory = createNasDirectory([
        { id: 8, name: 'bras-forged', realm: 'default', address: '10.8.0.0/24', secret: SECRET, requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: nas.address().port, liftProfile: 'coa', coaAttributes: [] },
      ])
      const network = createRadiusNetwork({ directory, client, metrics: coaMetrics })
      const result = await network.restoreService({ nasId: 8, acctSessionId: 'forged-1', msisdn: '8613800000098', framedIp: '10.8.0.5' })
      expect(result.outcome).toEqual({ kind: 'restored', how: 'coa' })
      expect(result.exchanges).toHaveLength(1)
      // The one for another identifier matched no request in flight: counted, but on no exchange.
      expect((result.exchanges[0] as { ignored: string[] }).ignored).toEqual(['bad_authenticator', 'malformed'])
      const text = await registry.metrics()
      expect(sample(text, 'gateway_coa_ignored_responses_total', { reason: 'bad_authenticator' })).toBe(1)
      expect(sample(text, 'gateway_coa_ignored_responses_total', { reason: 'unmatched_response' })).toBe(1)
      expect(sample(text, 'gateway_coa_ignored_responses_total', { reason: 'malformed' })).toBe(1)
      expect(sample(text, 'gateway_coa_responses_total', { nas: 'bras-forged', kind: 'coa', outcome: 'ack', error_cause: '' })).toBe(1)
    })
  })
})
