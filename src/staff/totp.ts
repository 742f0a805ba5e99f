// Time-based one-time passwords, RFC 6238 over RFC 4226's HOTP: HMAC-SHA-1, 30-second steps from
// the Unix epoch, 6 digits, as every authenticator app expects. Secrets are 160 random bits in
// RFC 4648 base32. A code is accepted for the current step or one step either side (clock drift),
// and never for a step at or before the last one accepted (no replay).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
/** RFC 6238 §4: X, the time step. */
export const TOTP_STEP_S = 30
const DIGITS = 6

/** Encode bytes as RFC 4648 base32 without padding. */
export function base32Encode(bytes: Buffer): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31]
  return out
}

/** Decode RFC 4648 base32 (case-insensitive, padding and spaces ignored); undefined when invalid. */
export function base32Decode(text: string): Buffer | undefined {
  const clean = text.toUpperCase().replace(/[\s=]/g, '')
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const char of clean) {
    const index = ALPHABET.indexOf(char)
    if (index === -1) return undefined
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** A new secret, base32. */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20))
}

/** RFC 4226 §5.3 HOTP value of `key` at `counter`, as a zero-padded 6-digit string. */
export function hotp(key: Buffer, counter: number): string {
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac('sha1', key).update(message).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** DIGITS
  return String(binary).padStart(DIGITS, '0')
}

/** The time step of `at`. */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_STEP_S)
}

/** The code for `secret` at `at`. */
export function totpCode(secret: string, at: Date): string {
  const key = base32Decode(secret)
  if (key === undefined) throw new Error('invalid base32 TOTP secret')
  return hotp(key, totpStep(at))
}

/** The step `code` is valid for (now ±1 step, after `lastStep`), or null when it is not valid. */
export function verifyTotp(secret: string, code: string, at: Date, lastStep: number | null): number | null {
  const key = base32Decode(secret)
  const digits = code.replace(/\s/g, '')
  if (key === undefined || !/^\d{6}$/.test(digits)) return null
  const now = totpStep(at)
  let matched: number | null = null
  // Check every candidate (constant work), keep the latest that matches.
  for (const step of [now - 1, now, now + 1]) {
    if (timingSafeEqual(Buffer.from(hotp(key, step)), Buffer.from(digits)) && (lastStep === null || step > lastStep)) matched = step
  }
  return matched
}

/** The otpauth:// URI an authenticator app imports (Key Uri Format). */
export function otpauthUri(secret: string, account: string, issuer: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=${DIGITS}&period=${TOTP_STEP_S}`
}
