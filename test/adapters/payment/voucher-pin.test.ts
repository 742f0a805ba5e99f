// The stored PIN hash keeps its format (HMAC-SHA256 over serial, NUL, PIN with the voucher-PIN
// key): cards imported before the one-update form must still redeem.
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hashVoucherPin, voucherPinMatches } from '../../../src/adapters/payment/voucher-pin.ts'
import { deriveKeys } from '../../../src/config/keys.ts'

describe('voucher PIN hashes', () => {
  const key = deriveKeys('voucher-pin-test-master-secret-0123456789').voucherPin

  it('are HMAC-SHA256 of serial, a NUL byte and the PIN, as stored before', () => {
    const earlierForm = createHmac('sha256', key).update('CARD-0001').update('\0').update('123456789012').digest()
    expect(hashVoucherPin(key, 'CARD-0001', '123456789012').equals(earlierForm)).toBe(true)
  })

  it('match only the same serial and PIN under the same key', () => {
    const stored = hashVoucherPin(key, 'CARD-0001', '123456789012')
    expect(voucherPinMatches(key, 'CARD-0001', '123456789012', stored)).toBe(true)
    expect(voucherPinMatches(key, 'CARD-0001', '123456789013', stored)).toBe(false)
    expect(voucherPinMatches(key, 'CARD-00011', '23456789012', stored)).toBe(false)
    const otherKey = deriveKeys('another-master-secret-0123456789abcdef').voucherPin
    expect(voucherPinMatches(otherKey, 'CARD-0001', '123456789012', stored)).toBe(false)
    expect(voucherPinMatches(key, 'CARD-0001', '123456789012', stored.subarray(0, 16))).toBe(false)
  })
})
