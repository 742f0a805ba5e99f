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
