// Security headers on every response, including errors and redirects. Pages carry no script,
// so the CSP forbids all script; styles are inline by design (one round trip on a slow link).
import type { FastifyInstance } from 'fastify'

/** The CSP, allowing forms to post to 'self' and to `formOrigins` (a payment provider's page). */
export function contentSecurityPolicy(formOrigins: readonly string[] = []): string {
  return `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'${formOrigins.map((o) => ` ${o}`).join('')}; frame-ancestors 'none'; base-uri 'none'`
}

/** The headers every response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': contentSecurityPolicy(),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
}

/**
 * The headers of an answer with no body that only sends the browser elsewhere (the catch-all's
 * 302): nothing in it is rendered, framed, embedded or run, and a browser checks framing against
 * the document it finally loads, not against a redirect on the way. So the document-only headers
 * (permissions, cross-origin isolation, X-Frame-Options, base-uri) have nothing to govern here.
 * What does act on a redirect stays: the referrer policy (it decides what the next request
 * carries), nosniff, and a CSP that forbids everything, framing included, for a browser that looks
 * at it anyway. Smaller matters: this is most of the traffic a suspended line sends, and on this
 * path each header's validation and bytes cost more than the rest of the answer.
 */
export const REDIRECT_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

/** Add the security headers to every reply (routes may override individual ones). */
export function registerSecurityHeaders(app: FastifyInstance): void {
  // Callback style: no promise per request on a hook every response passes through.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS)
    done()
  })
}
