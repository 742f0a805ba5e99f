// The walled garden in front of every route: a request whose Host is not the portal's own was
// redirected here by the network. A captive probe gets the answer its OS expects (captive while
// the line is suspended, success once it is not); anything else gets a 302 to the portal (or 511,
// RFC 6585, for clients that do not want HTML) — with no database work on that path. That answer
// is written straight on the Node response, before Fastify routes anything (see app.ts's
// serverFactory): it is most of the traffic a suspended line sends, and must stay cheap under load.
import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { PortalConfig } from '../../config/portal-config.ts'
import type { Keys } from '../../config/keys.ts'
import type { Identifier } from '../../identification/identify.ts'
import type { BillingPort } from '../../recharge/ports.ts'
import { requestFacts } from '../request-facts.ts'
import { REDIRECT_SECURITY_HEADERS, SECURITY_HEADERS } from '../plugins/security-headers.ts'
import { type CaptiveProbe, findProbe, isProbeHost } from './captive-probes.ts'
import { createPortalLocator } from './portal-locator.ts'

/** What the walled garden needs. */
export interface WalledGardenDeps {
  portal: PortalConfig
  keys: Keys
  identifier: Identifier
  billing: BillingPort
  registry: Registry
}

/** The host name of a Host header, lower case, without port; undefined when absent or malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(?::\d{1,5})?$/.exec(header.trim())
  return match?.[1]?.toLowerCase()
}

/** What the walled garden reads of a request: a Node IncomingMessage and a FastifyRequest both fit. */
export interface CaughtRequest {
  readonly socket: { readonly remoteAddress?: string | undefined; readonly localAddress?: string | undefined; readonly localPort?: number | undefined }
  readonly headers: IncomingHttpHeaders
  readonly url?: string | undefined
}

/** The walled garden: the raw catch-all for the server, and the Fastify hook for the rest. */
export interface WalledGarden {
  /**
   * Answer `req` on `res` when it is for a foreign host and is not a captive probe (302, or 511
   * for clients that do not want HTML); false when it is for the app to route.
   */
  catchAll(req: CaughtRequest, res: ServerResponse): boolean
  /** Install the hook that answers what reaches Fastify anyway (probes, and app.inject). */
  register(app: FastifyInstance): void
}

const HTML = /text\/html|application\/xhtml\+xml/
const ANSWERS = ['redirect', '511', 'probe_captive', 'probe_success'] as const
type Answer = (typeof ANSWERS)[number]
/** What a Host header names: the portal itself, a host with captive probes, or any other host (or none). */
type NamedHost = { readonly kind: 'own' | 'probe'; readonly name: string } | { readonly kind: 'foreign'; readonly name: string | undefined }
// Request ids of caught 511 answers (a 302 carries none: nothing logs it, and nobody reads it):
// UUID-shaped, unique per process (a random prefix drawn at start, then a counter). An id needs to
// be unique, not unpredictable: it only lets a log line and an answer be matched.
const ID_PREFIX = randomUUID().slice(0, 24)
let caughtCount = 0
function caughtRequestId(): string {
  caughtCount = (caughtCount + 1) % 0x1000000000000
  return ID_PREFIX + caughtCount.toString(16).padStart(12, '0')
}
const CAPTIVE_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...SECURITY_HEADERS, 'cache-control': 'no-store' })
// The 302 has no body: the redirect set (see REDIRECT_SECURITY_HEADERS).
const REDIRECT_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...REDIRECT_SECURITY_HEADERS, 'cache-control': 'no-store' })
const REDIRECT_CSP = REDIRECT_HEADERS['content-security-policy']

/** Create the walled garden. */
export function createWalledGarden(deps: WalledGardenDeps): WalledGarden {
  const own = new Set(deps.portal.ownHosts)
  // Counted in plain numbers and handed to the registry when it is scraped: an increment of a
  // labelled prom-client counter hashes and checks its labels, on the path that answers most of
  // the traffic.
  const counts: Record<Answer, number> = { redirect: 0, '511': 0, probe_captive: 0, probe_success: 0 }
  const reported: Record<Answer, number> = { redirect: 0, '511': 0, probe_captive: 0, probe_success: 0 }
  new Counter({
    name: 'gateway_walled_garden_requests_total',
    help: 'Requests for foreign hosts: redirected to the portal, answered 511, or captive probes answered captive/success',
    labelNames: ['answer'],
    registers: [deps.registry],
    collect() {
      for (const answer of ANSWERS) {
        this.labels(answer).inc(counts[answer] - reported[answer])
        reported[answer] = counts[answer]
      }
    },
  })
  const portalLocation = createPortalLocator(deps)

  // What a Host header names, with its host name (lower case, no port) when it has one. The last
  // header seen is remembered: requests come in runs for one host (a phone's page and its
  // assets), and this spares each the parse of the header.
  let lastHostHeader: string | undefined
  let lastHost: NamedHost = { kind: 'foreign', name: undefined }
  function hostOf(header: string | undefined): NamedHost {
    if (header !== undefined && header === lastHostHeader) return lastHost
    const name = hostName(header)
    lastHostHeader = header
    lastHost = name === undefined ? { kind: 'foreign', name } : { kind: own.has(name) ? 'own' : isProbeHost(name) ? 'probe' : 'foreign', name }
    return lastHost
  }

  // The probe a request on a probe host asks for, if its path is one.
  function probeOf(host: string, url: string): CaptiveProbe | undefined {
    const queryAt = url.indexOf('?')
    return findProbe(host, queryAt === -1 ? url : url.slice(0, queryAt))
  }

  // The captive answer, written on the Node response with the headers every response carries.
  // `requestId` is Fastify's id for what reached it (a probe); undefined for the raw catch-all.
  function writeCaptive(req: CaughtRequest, res: ServerResponse, requestId: string | undefined, probe: boolean): void {
    const location = portalLocation(req)
    if (!probe && !HTML.test(req.headers.accept ?? '')) {
      counts['511']++
      const href = location.replace(/&/g, '&amp;').replace(/"/g, '&quot;')
      const body = `<!doctype html><html><head><title>Network Authentication Required</title><meta http-equiv="refresh" content="0; url=${href}"></head><body><p>Your line needs a recharge: <a href="${href}">open the recharge page</a>.</p></body></html>`
      res.writeHead(511, { ...CAPTIVE_HEADERS, 'x-request-id': requestId ?? caughtRequestId(), 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) })
      res.end(body)
      return
    }
    counts[probe ? 'probe_captive' : 'redirect']++
    if (requestId === undefined) {
      // REDIRECT_HEADERS written out, not spread: on most of the traffic a literal of fixed shape
      // measured 2-3 % more redirects/s (test/http/walled-garden.test.ts checks they stay equal).
      res.writeHead(302, {
        'content-security-policy': REDIRECT_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
        location,
        'content-length': '0',
      })
    } else res.writeHead(302, { ...REDIRECT_HEADERS, 'x-request-id': requestId, location, 'content-length': '0' })
    res.end()
  }

  async function answerProbe(request: FastifyRequest, reply: FastifyReply, probe: CaptiveProbe): Promise<FastifyReply | undefined> {
    let open = false
    try {
      const who = await deps.identifier.identify(requestFacts(request))
      if (who.identified) open = (await deps.billing.getAccount(who.msisdn))?.status === 'active'
    } catch (err) {
      // Unknown state: keep the sign-in sheet open, it shows the offline ways to recharge.
      request.log.warn({ err: (err as Error).message }, 'captive probe answered captive: line state unknown')
    }
    if (!open) {
      reply.hijack()
      writeCaptive(request.raw, reply.raw, request.id, true)
      return undefined
    }
    counts.probe_success++
    reply.code(probe.success.status).header('cache-control', 'no-store')
    if (probe.success.contentType) reply.type(probe.success.contentType)
    return reply.send(probe.success.body)
  }

  return {
    catchAll(req, res) {
      const host = hostOf(req.headers.host)
      if (host.kind === 'own') return false
      if (host.kind === 'probe' && probeOf(host.name, req.url ?? '/') !== undefined) return false
      writeCaptive(req, res, undefined, false)
      return true
    },
    register(app) {
      app.addHook('onRequest', async (request, reply) => {
        const host = hostOf(request.headers.host)
        if (host.kind === 'own') return
        const probe = host.kind === 'probe' ? probeOf(host.name, request.url) : undefined
        if (probe !== undefined) return answerProbe(request, reply, probe)
        reply.hijack()
        writeCaptive(request.raw, reply.raw, request.id, false)
        return undefined
      })
    },
  }
}
