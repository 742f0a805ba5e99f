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
})
