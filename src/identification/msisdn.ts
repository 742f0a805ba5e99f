// Phone numbers from the network come in many shapes (+8613800000001, 008613800000001,
// 13800000001, 013800000001, "tel:+86…"); sessions and lines store E.164 digits only.

/** E.164 digits for `raw`, using `countryCode` for national numbers; null when it is not a phone number. */
export function normaliseMsisdn(raw: string, countryCode: string): string | null {
  const trimmed = raw.trim()
  // Wi-Fi and BNG sessions put the device's MAC address in Calling-Station-Id; some are all digits.
  if (/^[0-9A-Fa-f]{2}([-:.]?[0-9A-Fa-f]{2}){5}$/.test(trimmed) && /[-:.]/.test(trimmed)) return null
  if (/^[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}$/.test(trimmed)) return null
  let text = trimmed.replace(/^tel:/i, '').replace(/[\s().-]/g, '')
  let international = false
  if (text.startsWith('+')) {
    international = true
    text = text.slice(1)
  } else if (text.startsWith('00')) {
    international = true
    text = text.slice(2)
  }
  if (!/^\d{5,15}$/.test(text)) return null
  if (!international) {
    if (text.startsWith('0')) text = countryCode + text.replace(/^0+/, '')
    // A national significant number is at most 11 digits in every numbering plan we serve;
    // anything longer already carries its country code.
    else if (text.length <= 11) text = countryCode + text
  }
  return /^[1-9]\d{6,14}$/.test(text) ? text : null
}
