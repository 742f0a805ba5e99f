// A signed, expiring token that carries the network's view of a subscriber (NAS, realm, address)
// from where it is known — the catch-all redirect that saw the subscriber's own socket — to the
// portal, which may be reached through a proxy or another host. HMAC-SHA256, compared in
// constant time; a token that fails any check is ignored, never trusted in part.
import type { HmacKey } from '../config/keys.ts'
import { createHmac, timingSafeEqual } from 'node:crypto'

/** What a redirect token vouches for. */
export interface RedirectClaims {
  nasId: number | null
  realm: string
  address: string
  /** Expiry, seconds since the epoch. */
  exp: number
}

const VERSION = 'r1'
const MAC_BYTES = 16

function mac(key: HmacKey, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES)
}

/** Sign `claims` into a URL-safe token. */
export function signRedirectToken(key: HmacKey, claims: RedirectClaims): string {
  const payload = Buffer.from(JSON.stringify([VERSION, claims.nasId, claims.realm, claims.address, claims.exp])).toString('base64url')
  return `${payload}.${mac(key, payload).toString('base64url')}`
}

/** The claims of a valid, unexpired token; undefined for anything else. */
export function verifyRedirectToken(key: HmacKey, token: string, nowSeconds: number = Date.now() / 1000): RedirectClaims | undefined {
  if (token.length > 512) return undefined
  const [payload, signature, extra] = token.split('.')
  if (payload === undefined || signature === undefined || extra !== undefined) return undefined
  // Exactly the encoding we issue: base64url decoding alone forgives padding, stray characters
  // and the unused low bits of the last character.
  if (!/^[A-Za-z0-9_-]{22}$/.test(signature) || Buffer.from(signature, 'base64url').toString('base64url') !== signature) return undefined
  const given = Buffer.from(signature, 'base64url')
  const expected = mac(key, payload)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    if (!Array.isArray(parsed) || parsed.length !== 5 || parsed[0] !== VERSION) return undefined
    const [, nasId, realm, address, exp] = parsed as [string, unknown, unknown, unknown, unknown]
    if ((nasId !== null && typeof nasId !== 'number') || typeof realm !== 'string' || typeof address !== 'string' || typeof exp !== 'number') return undefined
    if (exp < nowSeconds) return undefined
    return { nasId, realm, address, exp }
  } catch {
    return undefined
  }
}
