// Voucher PINs are stored as a keyed hash: a stolen table without the key reveals no PIN,
// and a keyed SHA-256 is fast enough to import a million cards in seconds (a slow password
// hash would take hours and add nothing, since the key, not the work factor, protects them).
import type { HmacKey } from '../../config/keys.ts'
import { createHmac, timingSafeEqual } from 'node:crypto'

/** The stored form of a voucher's PIN. */
export function hashVoucherPin(key: HmacKey, serial: string, pin: string): Buffer {
  return createHmac('sha256', key).update(serial).update('\0').update(pin).digest()
}

/** Whether `pin` is the PIN of `serial`, compared in constant time. */
export function voucherPinMatches(key: HmacKey, serial: string, pin: string, stored: Buffer): boolean {
  const candidate = hashVoucherPin(key, serial, pin)
  return stored.length === candidate.length && timingSafeEqual(candidate, stored)
}
