// GET /api/v1/identify: what the gateway sees for the requesting client — its address and realm,
// and the line behind it, masked. For operators checking a NAS/proxy set-up and for support
// on the phone with a subscriber; it never reveals more than the portal itself would.
import type { FastifyInstance } from 'fastify'
import type { Identifier } from '../../identification/identify.ts'
import { maskMsisdn } from '../../logging/mask-msisdn.ts'
import { requestFacts } from '../request-facts.ts'

const IDENTIFY_SCHEMA = {
  tags: ['identification'],
  summary: 'Which line the gateway sees behind the asking client (masked)',
  // No querystring schema: a redirect token given twice must be ignored (request-facts.ts), not refused.
  response: {
    200: {
      type: 'object',
      required: ['identified', 'address', 'realm'],
      properties: {
        identified: { type: 'boolean' },
        line: { type: 'string' },
        how: { type: 'string' },
        address: { type: 'string' },
        realm: { type: 'string' },
        reason: { type: 'string' },
      },
    },
  },
} as const

/** Register GET /api/v1/identify. */
export function identifyRoutes(app: FastifyInstance, identifier: Identifier): void {
  // Public: it answers only about the asking client itself, masked, as the portal page would.
  app.get('/api/v1/identify', { config: { permission: 'public' }, schema: IDENTIFY_SCHEMA }, async (request, reply) => {
    const result = await identifier.identify(requestFacts(request))
    reply.header('cache-control', 'private, no-store')
    if (!result.identified) return { identified: false, address: result.address, realm: result.realm, reason: result.reason }
    return { identified: true, line: maskMsisdn(result.msisdn), how: result.how, address: result.address, realm: result.realm }
  })
}
