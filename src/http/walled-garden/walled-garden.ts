// The walled garden in front of every route: a request whose Host is not the portal's own was
// redirected here by the network. A captive probe gets the answer its OS expects (captive while
// the line is suspended, success once it is not); anything else gets a 302 to the portal (or 511,
// RFC 6585, for clients that do not want HTML) — with no database work on that path.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { PortalConfig } from '../../config/portal-config.ts'
import type { Keys } from '../../config/keys.ts'
import type { Identifier } from '../../identification/identify.ts'
import { signRedirectToken } from '../../identification/redirect-token.ts'
import type { BillingPort } from '../../recharge/ports.ts'
import { REDIRECT_TOKEN_PARAM, requestFacts } from '../request-facts.ts'
import { type CaptiveProbe, findProbe } from './captive-probes.ts'
import { continueParams, originalUrl } from './continue-url.ts'

/** What the walled garden needs. */
export interface WalledGardenDeps {
  portal: PortalConfig
  keys: Keys
  identifier: Identifier
  billing: BillingPort
  registry: Registry
}

const TOKEN_TTL_S = 600

/** The host name of a Host header, lower case, without port; undefined when absent or malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(?::\d{1,5})?$/.exec(header.trim())
  return match?.[1]?.toLowerCase()
}

/**
 * Builds the portal URL a caught request is sent to: the original URL (when it can be carried)
 * signed for the subscriber's address, and a redirect token with the subscriber's realm and
 * address. Uses only the socket and headers, so it also serves requests Fastify could not parse.
 */
export function createPortalLocator(deps: Pick<WalledGardenDeps, 'portal' | 'keys' | 'identifier'>): (request: FastifyRequest, carryOriginal?: boolean) => string {
  return (request, carryOriginal = true) => {
    const params = new URLSearchParams()
    const located = deps.identifier.locate({
      socketAddress: request.socket.remoteAddress ?? '',
      localAddress: request.socket.localAddress ?? '',
      localPort: request.socket.localPort ?? 0,
      headers: request.headers,
    })
    const original = carryOriginal ? originalUrl(request.headers.host, request.url) : undefined
    if (original !== undefined) {
      const signed = continueParams(deps.keys.continueUrl, original, located.address)
      params.set('continue', signed.continue)
      params.set('sig', signed.sig)
    }
    const token = signRedirectToken(deps.keys.redirectToken, {
      nasId: null,
      realm: located.realm,
      address: located.address,
      exp: Math.floor(Date.now() / 1000) + TOKEN_TTL_S,
    })
    params.set(REDIRECT_TOKEN_PARAM, token)
    return `${deps.portal.url}/portal?${params.toString()}`
  }
}

/** Install the walled garden on `app`. */
export function registerWalledGarden(app: FastifyInstance, deps: WalledGardenDeps): void {
  const own = new Set(deps.portal.ownHosts)
  const caught = new Counter({
    name: 'gateway_walled_garden_requests_total',
    help: 'Requests for foreign hosts: redirected to the portal, answered 511, or captive probes answered captive/success',
    labelNames: ['answer'],
    registers: [deps.registry],
  })

  const portalLocation = createPortalLocator(deps)

  function captive(request: FastifyRequest, reply: FastifyReply, label: string): FastifyReply {
    const location = portalLocation(request)
    reply.header('cache-control', 'no-store')
    const accept = request.headers.accept ?? ''
    if (label === 'redirect' && !/text\/html|application\/xhtml\+xml/.test(accept)) {
      caught.inc({ answer: '511' })
      const href = location.replace(/&/g, '&amp;').replace(/"/g, '&quot;')
      return reply
        .code(511)
        .type('text/html; charset=utf-8')
        .send(`<!doctype html><html><head><title>Network Authentication Required</title><meta http-equiv="refresh" content="0; url=${href}"></head><body><p>Your line needs a recharge: <a href="${href}">open the recharge page</a>.</p></body></html>`)
    }
    caught.inc({ answer: label })
    return reply.code(302).header('location', location).send()
  }

  async function answerProbe(request: FastifyRequest, reply: FastifyReply, probe: CaptiveProbe): Promise<FastifyReply> {
    let open = false
    try {
      const who = await deps.identifier.identify(requestFacts(request))
      if (who.identified) open = (await deps.billing.getAccount(who.msisdn))?.status === 'active'
    } catch (err) {
      // Unknown state: keep the sign-in sheet open, it shows the offline ways to recharge.
      request.log.warn({ err: (err as Error).message }, 'captive probe answered captive: line state unknown')
    }
    if (!open) return captive(request, reply, 'probe_captive')
    caught.inc({ answer: 'probe_success' })
    reply.code(probe.success.status).header('cache-control', 'no-store')
    if (probe.success.contentType) reply.type(probe.success.contentType)
    return reply.send(probe.success.body)
  }

  app.addHook('onRequest', async (request, reply) => {
    const host = hostName(request.headers.host)
    if (host !== undefined && own.has(host)) return
    const queryAt = request.url.indexOf('?')
    const probe = host === undefined ? undefined : findProbe(host, queryAt === -1 ? request.url : request.url.slice(0, queryAt))
    if (probe !== undefined) return answerProbe(request, reply, probe)
    return captive(request, reply, 'redirect')
  })
}
