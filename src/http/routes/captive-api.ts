// RFC 8908 Captive Portal API, at the URI the network advertises with RFC 8910 (DHCP option 114,
// RA option 37) or the carrier config: whether the requesting line is captive, and where to go.
import type { FastifyInstance } from 'fastify'
import type { PortalConfig } from '../../config/portal-config.ts'
import type { Identifier } from '../../identification/identify.ts'
import type { BillingPort } from '../../recharge/ports.ts'
import { requestFacts } from '../request-facts.ts'

/** Where the API is served. */
export const CAPTIVE_API_PATH = '/.well-known/captive-portal'

/** Register the RFC 8908 API. */
export function captiveApiRoutes(app: FastifyInstance, deps: { portal: PortalConfig; identifier: Identifier; billing: BillingPort }): void {
  app.get(CAPTIVE_API_PATH, async (request, reply) => {
    let captive = true
    try {
      const who = await deps.identifier.identify(requestFacts(request))
      if (who.identified) captive = (await deps.billing.getAccount(who.msisdn))?.status !== 'active'
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'captive API answered captive: line state unknown')
    }
    reply.header('cache-control', 'private, no-store').type('application/captive+json')
    return JSON.stringify(captive ? { captive: true, 'user-portal-url': `${deps.portal.url}/portal` } : { captive: false })
  })
}
