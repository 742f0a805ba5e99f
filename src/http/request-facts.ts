// What identification may look at in a Fastify request: the socket, the listener, the headers
// (believed only from trusted proxies, decided in identification/) and our own redirect token.
import type { FastifyRequest } from 'fastify'
import type { RequestFacts } from '../identification/identify.ts'

/** The query parameter that carries a redirect token. */
export const REDIRECT_TOKEN_PARAM = 'rt'

// One facts object per request: the rate limiter, identification and the route all ask, and
// identification remembers what it located for a facts object (identify.ts).
const collected = new WeakMap<FastifyRequest, RequestFacts>()

/** Collect the facts of `request` for the identification service. */
export function requestFacts(request: FastifyRequest): RequestFacts {
  let facts = collected.get(request)
  if (facts === undefined) {
    const query = request.query as Record<string, unknown> | undefined
    const token = query?.[REDIRECT_TOKEN_PARAM]
    facts = {
      socketAddress: request.socket.remoteAddress ?? '',
      localAddress: request.socket.localAddress ?? '',
      localPort: request.socket.localPort ?? 0,
      headers: request.headers,
      redirectToken: typeof token === 'string' ? token : undefined,
    }
    collected.set(request, facts)
  }
  return facts
}
