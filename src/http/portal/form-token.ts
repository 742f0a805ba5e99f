// Anti-forgery tokens for portal forms that need no cookie (captive mini-browsers drop cookies):
// an HMAC over the subscriber's network address and an expiry. A page from another site cannot
// read it, and a token issued to one address is worthless from another.
import type { HmacKey } from '../../config/keys.ts'
import { createHmac, timingSafeEqual } from 'node:crypto'

/** How long a rendered form stays submittable. */
export const FORM_TOKEN_TTL_S = 2 * 60 * 60

function mac(key: HmacKey, subject: string, exp: number): string {
  return createHmac('sha256', key).update(`${subject}|${exp}`).digest().subarray(0, 16).toString('base64url')
}

/** A token for forms shown to `subject` (the client address). */
export function issueFormToken(key: HmacKey, subject: string, nowS: number = Date.now() / 1000): string {
  const exp = Math.floor(nowS) + FORM_TOKEN_TTL_S
  return `${exp}.${mac(key, subject, exp)}`
}

/**
 * How long a token issued to an address is handed out again to it (s): a page is shown many times
 * a minute, and each would otherwise cost an HMAC. Far below the lifetime, so a reused token still
 * has almost all of it left; any token is only ever given to the address it was made for.
 */
export const FORM_TOKEN_REUSE_S = 60
/** Bound on remembered addresses: past it the memory is dropped whole (a burst of new addresses). */
export const FORM_TOKEN_REMEMBERED_MAX = 50_000

/** issueFormToken with `key`, reusing an address's token for FORM_TOKEN_REUSE_S. */
export function createFormTokenIssuer(key: HmacKey): (subject: string, nowS?: number) => string {
  const issued = new Map<string, { token: string; from: number; until: number }>()
  return (subject, nowS = Date.now() / 1000) => {
    const seen = issued.get(subject)
    // `from` too: a clock stepped back must not make an old token look new.
    if (seen !== undefined && nowS >= seen.from && nowS < seen.until) return seen.token
    const token = issueFormToken(key, subject, nowS)
    if (issued.size >= FORM_TOKEN_REMEMBERED_MAX) issued.clear()
    issued.set(subject, { token, from: nowS, until: nowS + FORM_TOKEN_REUSE_S })
    return token
  }
}

/** Whether `token` was issued to `subject` and has not expired. */
export function checkFormToken(key: HmacKey, subject: string, token: unknown, nowS: number = Date.now() / 1000): boolean {
  if (typeof token !== 'string' || token.length > 64) return false
  const [expText, given] = token.split('.')
  const exp = Number(expText)
  if (!Number.isSafeInteger(exp) || exp < nowS || given === undefined) return false
  const expected = Buffer.from(mac(key, subject, exp))
  const provided = Buffer.from(given)
  return provided.length === expected.length && timingSafeEqual(provided, expected)
}
