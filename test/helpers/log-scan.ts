// The leak scan over captured logs: unmasked phone numbers (and other long digit runs such as
// voucher PINs or IMSIs), values of secret-named fields that were not redacted, known test secrets,
// and signed tokens carried in logged URLs. Pino's own "time" (epoch ms) is the one long number a
// log line legitimately has.

/** One leak: where, what kind, and the offending text. */
export interface Finding {
  file: string
  line: number
  kind: 'digits' | 'secret-field' | 'known-secret' | 'url-token'
  text: string
}

// Field names whose values must be redacted (as src/logging/logger.ts SECRET_FIELDS); "[redacted]" passes.
const SECRET_FIELD = /"(secret|sharedSecret|password|passwordHash|pin|pinHash|token|accessToken|apiToken|apiKey|appSecret|databaseUrl|authorization|cookie|set-cookie|x-api-key|webhookSecret)"\s*:\s*("(?!\[redacted\]")[^"]*"|\d+)/gi
// 11 digits or more, not inside a longer token: phone numbers with or without country code, PINs, IMSIs.
const DIGITS = /(?<![A-Za-z0-9_*.-])\+?\d{11,20}(?![A-Za-z0-9_*])/g
// Redirect tokens, form tokens and continue signatures in a logged URL or query.
const URL_TOKEN = /[?&](rt|ft|sig)=[^&\s"]{8,}/g
// Pino's timestamp and process id.
const ALLOWED_NUMBERS = /"(time|pid)":\d+/g

/** Scan `text` (the lines of `file`); `knownSecrets` are literal values that must never appear. */
export function scanLog(file: string, text: string, knownSecrets: readonly string[]): Finding[] {
  const findings: Finding[] = []
  const lines = text.split('\n')
  lines.forEach((raw, index) => {
    const add = (kind: Finding['kind'], match: string) => findings.push({ file, line: index + 1, kind, text: match.slice(0, 200) })
    const line = raw.replace(ALLOWED_NUMBERS, '')
    for (const m of line.matchAll(SECRET_FIELD)) add('secret-field', m[0])
    for (const m of line.matchAll(DIGITS)) add('digits', m[0])
    for (const m of line.matchAll(URL_TOKEN)) add('url-token', m[0])
    for (const secret of knownSecrets) if (line.includes(secret)) add('known-secret', secret)
  })
  return findings
}

/** Secret values the suite uses (RADIUS secrets, master secrets, the sandbox PSP's keys, a DB password). */
export const TEST_SECRETS = ['testing123', 'test-master-secret', 'fuzz-shared-secret', 'sandbox-api-key', 'sandbox-webhook-secret', 'hunter2'] as const
