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

/** Add the security headers to every reply (routes may override individual ones). */
export function registerSecurityHeaders(app: FastifyInstance): void {
  // Callback style: no promise per request on a hook every response passes through.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS)
    done()
  })
}
