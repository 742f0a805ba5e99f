// GET /api/v1/identify: what the gateway sees for the requesting client — its address and realm,
// and the line behind it, masked. For operators checking a NAS/proxy set-up and for support
// on the phone with a subscriber; it never reveals more than the portal itself would.
import type { FastifyInstance } from 'fastify'
import type { Identifier } from '../../identification/identify.ts'
import { maskMsisdn } from '../../logging/mask-msisdn.ts'
import { requestFacts } from '../request-facts.ts'

/** Register GET /api/v1/identify. */
export function identifyRoutes(app: FastifyInstance, identifier: Identifier): void {
  app.get('/api/v1/identify', async (request, reply) => {
    const result = await identifier.identify(requestFacts(request))
    reply.header('cache-control', 'private, no-store')
    if (!result.identified) return { identified: false, address: result.address, realm: result.realm, reason: result.reason }
    return { identified: true, line: maskMsisdn(result.msisdn), how: result.how, address: result.address, realm: result.realm }
  })
}
