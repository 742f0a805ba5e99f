// The page a subscriber was trying to open when the walled garden caught them, carried to the
// portal and offered back as "continue" once service is restored. It is signed where it was seen
// (the catch-all), so the portal never becomes an open redirect: an unsigned or altered URL is
// dropped, and only http(s) URLs of bounded length are ever carried. The signature also binds the
// subscriber's address and an expiry.
import type { HmacKey } from '../../config/keys.ts'
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { RequestFacts } from '../../identification/identify.ts'
import { verifyRedirectToken } from '../../identification/redirect-token.ts'

/** Longest original URL we carry. */
export const MAX_CONTINUE_URL = 1024

/** The original URL of a caught request, or undefined when it cannot be carried safely. */
export function originalUrl(host: string | undefined, path: string): string | undefined {
  if (host === undefined || !/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(host)) return undefined
  if (!path.startsWith('/') || /[\u0000-\u001f\u007f\s\\]/.test(path)) return undefined
  const url = `http://${host.toLowerCase()}${path}`
  if (url.length > MAX_CONTINUE_URL) return undefined
  try {
    new URL(url) // a port above 65535 and the like: nothing worth carrying
    return url
  } catch {
    return undefined
  }
}

/** How long a caught URL stays offered back. */
export const CONTINUE_TTL_S = 24 * 60 * 60

function mac(key: HmacKey, url: string, subject: string, exp: number): string {
  return createHmac('sha256', key).update(`${url}\u0000${subject}\u0000${exp}`).digest().subarray(0, 12).toString('base64url')
}

/**
 * Query parameters that carry `url` with its signature, bound to `subject` (the subscriber's
 * network address as the catch-all saw it) and an expiry: a URL harvested by someone else is
 * never offered to another subscriber.
 */
export function continueParams(key: HmacKey, url: string, subject: string, nowS: number = Date.now() / 1000): { continue: string; sig: string } {
  const exp = Math.floor(nowS) + CONTINUE_TTL_S
  return { continue: url, sig: `${exp}.${mac(key, url, subject, exp)}` }
}

/** The URL when signed for `subject`, unexpired, and still an http(s) URL we would carry; else undefined. */
export function verifiedContinueUrl(key: HmacKey, url: unknown, sig: unknown, subject: string, nowS: number = Date.now() / 1000): string | undefined {
  if (typeof url !== 'string' || typeof sig !== 'string' || url.length > MAX_CONTINUE_URL || sig.length > 40) return undefined
  const [expText, given] = sig.split('.')
  const exp = Number(expText)
  if (given === undefined || !Number.isSafeInteger(exp) || exp < nowS) return undefined
  const expected = Buffer.from(mac(key, url, subject, exp))
  const provided = Buffer.from(given)
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) return undefined
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.toString() : undefined
  } catch {
    return undefined
  }
}

/**
 * The address a continue URL is checked against on the portal's side: the one our redirect
 * token vouches for (the portal may be reached through another path), else the request's own.
 */
export function continueSubject(redirectTokenKey: HmacKey, facts: RequestFacts, locate: (facts: RequestFacts) => { address: string }): string {
  const claims = facts.redirectToken ? verifyRedirectToken(redirectTokenKey, facts.redirectToken) : undefined
  return claims?.address ?? locate(facts).address
}
