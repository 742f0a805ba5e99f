// TOTP against RFC 6238 Appendix B (SHA-1 vectors; 6 digits are the last 6 of the 8-digit values),
// base32 against RFC 4648 §10, and the acceptance window and replay rule.
import { describe, expect, it } from 'vitest'
import { deriveKeys } from '../../src/config/keys.ts'
import { openTotpSecret, sealTotpSecret } from '../../src/staff/totp-secret-box.ts'
import { base32Decode, base32Encode, otpauthUri, totpCode, verifyTotp } from '../../src/staff/totp.ts'

const SECRET = base32Encode(Buffer.from('12345678901234567890'))

describe('TOTP', () => {
  it('encodes and decodes base32 as RFC 4648 §10 does', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']]
    for (const [plain, encoded] of vectors) {
      expect(base32Encode(Buffer.from(plain))).toBe(encoded)
      expect(base32Decode(`${encoded.toLowerCase()}===`)?.toString()).toBe(plain)
    }
    expect(SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')
    expect(base32Decode('not base32!')).toBeUndefined()
  })

  it('gives the RFC 6238 Appendix B codes', () => {
    const vectors: [number, string][] = [[59, '287082'], [1111111109, '081804'], [1111111111, '050471'], [1234567890, '005924'], [2000000000, '279037'], [20000000000, '353130']]
    for (const [seconds, code] of vectors) expect(totpCode(SECRET, new Date(seconds * 1000))).toBe(code)
  })

  it('accepts the current step and one either side, never an older or already used one', () => {
    const now = new Date(1234567890 * 1000)
    const step = Math.floor(1234567890 / 30)
    expect(verifyTotp(SECRET, '005924', now, null)).toBe(step)
    expect(verifyTotp(SECRET, '005 924', now, null)).toBe(step)
    expect(verifyTotp(SECRET, totpCode(SECRET, new Date(now.getTime() - 30_000)), now, null)).toBe(step - 1)
    expect(verifyTotp(SECRET, totpCode(SECRET, new Date(now.getTime() + 30_000)), now, null)).toBe(step + 1)
    expect(verifyTotp(SECRET, totpCode(SECRET, new Date(now.getTime() - 60_000)), now, null)).toBeNull()
    expect(verifyTotp(SECRET, '005924', now, step)).toBeNull()
    expect(verifyTotp(SECRET, '00592', now, null)).toBeNull()
    expect(verifyTotp(SECRET, 'abcdef', now, null)).toBeNull()
  })

  it('makes an otpauth URI an authenticator app imports', () => {
    expect(otpauthUri(SECRET, 'ada.admin', 'recharge-gateway')).toBe(`otpauth://totp/recharge-gateway:ada.admin?secret=${SECRET}&issuer=recharge-gateway&algorithm=SHA1&digits=6&period=30`)
  })

  it('seals secrets at rest for one user under the instance key; another user, key or a changed byte does not open them', () => {
    const key = deriveKeys('master-one-master-one-master-one').staffTotp
    const sealed = sealTotpSecret(key, 7, SECRET)
    expect(sealed).not.toContain(SECRET)
    expect(sealTotpSecret(key, 7, SECRET)).not.toBe(sealed) // a fresh IV each time
    expect(openTotpSecret(key, 7, sealed)).toBe(SECRET)
    expect(openTotpSecret(key, 8, sealed)).toBeUndefined()
    expect(openTotpSecret(deriveKeys('master-two-master-two-master-two').staffTotp, 7, sealed)).toBeUndefined()
    const bytes = Buffer.from(sealed.slice(3), 'base64url')
    bytes[bytes.length - 1]! ^= 1
    expect(openTotpSecret(key, 7, `v1.${bytes.toString('base64url')}`)).toBeUndefined()
    expect(openTotpSecret(key, 7, SECRET)).toBeUndefined()
  })
})
