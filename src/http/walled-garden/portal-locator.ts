// Where the catch-all sends a caught request: the portal URL with the original URL signed for the
// subscriber's address, and a redirect token carrying the subscriber's realm and address. This
// runs for most of the web traffic a suspended line sends, so what it learns of a subscriber —
// the located realm and address, the signed token, the Location last answered — is kept for a moment
// per socket address: a phone's browser and apps send bursts of requests from one address, and
// each would otherwise parse the address and compute two HMACs again.
import type { PortalConfig } from '../../config/portal-config.ts'
import type { Keys } from '../../config/keys.ts'
import type { Identifier } from '../../identification/identify.ts'
import { signRedirectToken } from '../../identification/redirect-token.ts'
import { REDIRECT_TOKEN_PARAM } from '../request-facts.ts'
import type { CaughtRequest } from './walled-garden.ts'
import { continueParams, originalUrl } from './continue-url.ts'

/** What the locator needs. */
export interface PortalLocatorDeps {
  portal: PortalConfig
  keys: Keys
  identifier: Identifier
}

/** How long a redirect token we issue stays valid (s). */
export const TOKEN_TTL_S = 600
/**
 * How long what was learned of a socket address is reused (ms). Short, so that a change of the
 * trusted proxies (a live setting) applies within it; far below the token's lifetime.
 */
export const LOCATED_REUSE_MS = 2000
/** Bound on remembered addresses: past it the memory is dropped whole (a burst of new addresses). */
export const LOCATED_MAX = 50_000

/** What the catch-all learned of one socket address, reused until `until`. */
interface Remembered {
  /** `rt=…`: the signed redirect token for this address. */
  readonly token: string
  readonly address: string
  readonly until: number
  /** The Host header and request target last answered, and the Location they got. */
  lastHost: string | undefined
  lastTarget: string | undefined
  lastLocation: string | undefined
}

/**
 * Build the portal URL for caught requests. `carryOriginal` false leaves the original URL out (a
 * request Fastify could not parse). Uses only the socket and headers.
 */
export function createPortalLocator(deps: PortalLocatorDeps): (request: CaughtRequest, carryOriginal?: boolean) => string {
  const known = new Map<string, Remembered>()
  // The same, by connection: a keep-alive connection's next request finds it without building the
  // address key (the connection's addresses do not change).
  const byConnection = new WeakMap<object, Remembered>()
  const base = `${deps.portal.url}/portal?`

  function remembered(request: CaughtRequest, now: number): Remembered {
    const mine = byConnection.get(request.socket)
    if (mine !== undefined && mine.until > now) return mine
    const socketAddress = request.socket.remoteAddress ?? ''
    const localAddress = request.socket.localAddress ?? ''
    const localPort = request.socket.localPort ?? 0
    const key = `${socketAddress} ${localAddress} ${localPort}`
    const seen = known.get(key)
    if (seen !== undefined && seen.until > now) {
      byConnection.set(request.socket, seen)
      return seen
    }
    const located = deps.identifier.locate({ socketAddress, localAddress, localPort, headers: request.headers })
    const token = signRedirectToken(deps.keys.redirectToken, {
      nasId: null,
      realm: located.realm,
      address: located.address,
      exp: Math.floor(now / 1000) + TOKEN_TTL_S,
    })
    const fresh: Remembered = {
      token: `${REDIRECT_TOKEN_PARAM}=${token}`,
      address: located.address,
      until: now + LOCATED_REUSE_MS,
      lastHost: undefined,
      lastTarget: undefined,
      lastLocation: undefined,
    }
    // Behind a trusted proxy the subscriber is named by headers, which differ per request.
    if (!located.viaTrustedProxy) {
      if (known.size >= LOCATED_MAX) known.clear()
      known.set(key, fresh)
      byConnection.set(request.socket, fresh)
    }
    return fresh
  }

  return (request, carryOriginal = true) => {
    const now = Date.now()
    const subscriber = remembered(request, now)
    const host = request.headers.host
    const target = request.url ?? '/'
    // The same request again (a retrying app, a reloading page): the same answer.
    if (carryOriginal && subscriber.lastLocation !== undefined && host === subscriber.lastHost && target === subscriber.lastTarget) return subscriber.lastLocation
    const original = carryOriginal ? originalUrl(host, target) : undefined
    if (original === undefined) return `${base}${subscriber.token}`
    const { sig } = continueParams(deps.keys.continueUrl, original, subscriber.address, now / 1000)
    const location = `${base}continue=${encodeURIComponent(original)}&sig=${sig}&${subscriber.token}`
    subscriber.lastHost = host
    subscriber.lastTarget = target
    subscriber.lastLocation = location
    return location
  }
}
