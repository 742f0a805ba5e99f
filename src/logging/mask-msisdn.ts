// Phone numbers never reach a log whole: support recognises 138****0077, an attacker
// reading logs learns nothing useful. The rule is the national number's first 3 and last 4 digits.

// ITU-T E.164 country codes of one or two digits; every other assigned code has three.
const ONE_DIGIT = new Set(['1', '7'])
const TWO_DIGIT = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84',
  '86', '90', '91', '92', '93', '94', '95', '98',
])

/** The national significant number of an E.164 number given as digits (with or without '+'). */
export function nationalNumber(e164: string): string {
  const digits = e164.replace(/^\+/, '')
  if (ONE_DIGIT.has(digits.slice(0, 1))) return digits.slice(1)
  if (TWO_DIGIT.has(digits.slice(0, 2))) return digits.slice(2)
  return digits.slice(3)
}

/** Mask a phone number for logs and screens: 8613800000077 → 138****0077. */
export function maskMsisdn(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'bigint') return '[masked]'
  const digits = String(value).trim()
  if (!/^\+?\d{4,20}$/.test(digits)) return '[masked]'
  const national = nationalNumber(digits)
  if (national.length >= 8) return `${national.slice(0, 3)}****${national.slice(-4)}`
  return `****${national.slice(-2)}`
}
