// The page's anti-forgery token issuer: an address gets the same token again for a minute (no HMAC
// per page view), never another address's, and every token it hands out checks out for its own
// address only, with nearly all of its two hours left.
import { createSecretKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkFormToken, createFormTokenIssuer, FORM_TOKEN_REUSE_S, FORM_TOKEN_TTL_S, issueFormToken } from '../../../src/http/portal/form-token.ts'

const key = createSecretKey(Buffer.alloc(32, 3))
const otherKey = createSecretKey(Buffer.alloc(32, 4))
const T0 = 1_800_000_000

const expiry = (token: string) => Number(token.split('.')[0])

describe('form token issuer', () => {
  it('hands an address its token again within the reuse window, and a fresh one after it', () => {
    const issue = createFormTokenIssuer(key)
    const first = issue('10.0.0.1', T0)
    expect(issue('10.0.0.1', T0 + FORM_TOKEN_REUSE_S - 1)).toBe(first)
    const later = issue('10.0.0.1', T0 + FORM_TOKEN_REUSE_S)
    expect(later).not.toBe(first)
    expect(expiry(later)).toBe(T0 + FORM_TOKEN_REUSE_S + FORM_TOKEN_TTL_S)
  })

  it('gives each address its own token, valid for that address alone', () => {
    const issue = createFormTokenIssuer(key)
    const a = issue('10.0.0.1', T0)
    const b = issue('10.0.0.2', T0)
    expect(a).not.toBe(b)
    expect(issue('10.0.0.1', T0 + 1)).toBe(a)
    expect(checkFormToken(key, '10.0.0.1', a, T0 + 1)).toBe(true)
    expect(checkFormToken(key, '10.0.0.2', a, T0 + 1)).toBe(false)
    expect(checkFormToken(otherKey, '10.0.0.1', a, T0 + 1)).toBe(false)
    expect(a).toBe(issueFormToken(key, '10.0.0.1', T0))
  })

  it('a reused token keeps nearly all its lifetime, and still expires', () => {
    const issue = createFormTokenIssuer(key)
    issue('10.0.0.1', T0)
    const reused = issue('10.0.0.1', T0 + FORM_TOKEN_REUSE_S - 1)
    expect(expiry(reused) - (T0 + FORM_TOKEN_REUSE_S - 1)).toBeGreaterThanOrEqual(FORM_TOKEN_TTL_S - FORM_TOKEN_REUSE_S)
    expect(checkFormToken(key, '10.0.0.1', reused, T0 + FORM_TOKEN_TTL_S - 1)).toBe(true)
    expect(checkFormToken(key, '10.0.0.1', reused, T0 + FORM_TOKEN_TTL_S + 1)).toBe(false)
  })

  it('issues afresh when the clock went back', () => {
    const issue = createFormTokenIssuer(key)
    const first = issue('10.0.0.1', T0)
    const earlier = issue('10.0.0.1', T0 - 10)
    expect(earlier).not.toBe(first)
    expect(expiry(earlier)).toBe(T0 - 10 + FORM_TOKEN_TTL_S)
  })
})
