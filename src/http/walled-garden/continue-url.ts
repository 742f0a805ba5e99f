// The page a subscriber was trying to open when the walled garden caught them, carried to the
// portal and offered back as "continue" once service is restored. It is signed where it was seen
// (the catch-all), so the portal never becomes an open redirect: an unsigned or altered URL is
// dropped, and only http(s) URLs of bounded length are ever carried.
import { createHmac, timingSafeEqual } from 'node:crypto'

/** Longest original URL we carry. */
export const MAX_CONTINUE_URL = 1024

/** The original URL of a caught request, or undefined when it cannot be carried safely. */
export function originalUrl(host: string | undefined, path: string): string | undefined {
  if (host === undefined || !/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(host)) return undefined
  if (!path.startsWith('/') || /[\u0000-\u001f\u007f\s\\]/.test(path)) return undefined
  const url = `http://${host.toLowerCase()}${path}`
  return url.length <= MAX_CONTINUE_URL ? url : undefined
}

function sign(key: Buffer, url: string): string {
  return createHmac('sha256', key).update(url).digest().subarray(0, 12).toString('base64url')
}

/** Query parameters that carry `url` with its signature. */
export function continueParams(key: Buffer, url: string): { continue: string; sig: string } {
  return { continue: url, sig: sign(key, url) }
}

/** The URL when its signature is valid and it is still an http(s) URL we would carry; else undefined. */
export function verifiedContinueUrl(key: Buffer, url: unknown, sig: unknown): string | undefined {
  if (typeof url !== 'string' || typeof sig !== 'string' || url.length > MAX_CONTINUE_URL) return undefined
  const expected = Buffer.from(sign(key, url))
  const given = Buffer.from(sig)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.toString() : undefined
  } catch {
    return undefined
  }
}
