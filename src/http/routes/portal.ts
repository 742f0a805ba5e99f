// GET /portal: the recharge-guide page. Identity from the network only; balance and status from
// billing; if the database cannot answer, a degraded page that still lists the offline ways.
import type { FastifyInstance } from 'fastify'
import type { Keys } from '../../config/keys.ts'
import type { PortalConfig } from '../../config/portal-config.ts'
import type { Identification, Identifier } from '../../identification/identify.ts'
import type { FunnelMetrics } from '../../metrics/funnel-metrics.ts'
import type { Account, BillingPort } from '../../recharge/ports.ts'
import { createFormTokenIssuer } from '../portal/form-token.ts'
import { contentSecurityPolicy } from '../plugins/security-headers.ts'
import { pickLanguage } from '../portal/i18n.ts'
import { portalView } from '../portal/portal-view.ts'
import { REDIRECT_TOKEN_PARAM, requestFacts } from '../request-facts.ts'
import { continueSubject, verifiedContinueUrl } from '../walled-garden/continue-url.ts'
import { perAddressLimit } from '../rate-limit.ts'

/** What the portal page needs. */
export interface PortalDeps {
  /** The portal settings in force (operator settings change them live). */
  portal: () => PortalConfig
  keys: Keys
  identifier: Identifier
  billing: BillingPort
  /** The card payment provider's origin: the page's card form ends up there (CSP form-action). */
  paymentOrigin: string | null
  funnel: FunnelMetrics
}

const CARRIED = ['continue', 'sig', REDIRECT_TOKEN_PARAM] as const

/** Register GET /portal. */
export function portalRoutes(app: FastifyInstance, deps: PortalDeps): void {
  const formToken = createFormTokenIssuer(deps.keys.formToken)
  app.get('/portal', { config: { rateLimit: perAddressLimit(60, 60_000) } }, async (request, reply) => {
    const query = (request.query ?? {}) as Record<string, unknown>
    const lang = pickLanguage(query.lang, request.headers['accept-language'])
    const facts = requestFacts(request)
    const carried: Record<string, string> = {}
    for (const name of CARRIED) {
      const value = query[name]
      if (typeof value === 'string' && value.length <= 1100) carried[name] = value
    }
    let who: Identification | null = null
    let account: Account | null = null
    try {
      // With the built-in ledger the account comes in the identification statement (one round trip).
      who = await deps.identifier.identify(facts, { withAccount: true })
      if (who.identified) account = who.account !== undefined ? who.account : await deps.billing.getAccount(who.msisdn)
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'portal degraded: line state unavailable')
      who = null
    }
    deps.funnel.portalViews.inc({ identification: who === null ? 'unavailable' : who.identified ? 'identified' : 'unidentified' })
    const address = deps.identifier.locate(facts).address
    const view = portalView({
      lang,
      portal: deps.portal(),
      who,
      account,
      continueUrl: verifiedContinueUrl(deps.keys.continueUrl, carried.continue, carried.sig, continueSubject(deps.keys.redirectToken, facts, deps.identifier.locate)),
      hidden: { ...carried, ft: formToken(address) },
      query: carried,
    })
    reply.header('cache-control', 'private, no-store').header('content-language', lang).type('text/html; charset=utf-8')
    // A browser checks form-action against every redirect of a form's submission: the card form
    // is answered with a redirect to the provider's page.
    if (deps.paymentOrigin !== null && view.methods.card && view.showForms) reply.header('content-security-policy', contentSecurityPolicy([deps.paymentOrigin]))
    return reply.viewAsync('portal.eta', view)
  })
}
