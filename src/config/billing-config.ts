// Which billing system holds the balances: the built-in ledger (PostgreSQL, default) or the
// carrier's OCS over a small REST contract whose paths are configurable.

/** Billing settings. */
export type BillingSettings =
  | { readonly kind: 'built-in' }
  | {
      readonly kind: 'ocs'
      readonly url: string
      readonly token: string
      readonly timeoutMs: number
      /** Path templates; {msisdn} and {key} are replaced (URL-encoded). */
      readonly paths: Readonly<{ account: string; credit: string; lookup: string }>
    }

type Env = Record<string, string | undefined>

/** Read BILLING and OCS_* settings. */
export function readBillingConfig(env: Env, problems: string[]): BillingSettings {
  const kind = (env.BILLING ?? 'built-in').trim()
  if (kind === 'built-in') return { kind }
  if (kind !== 'ocs') {
    problems.push(`BILLING: expected built-in or ocs, got ${JSON.stringify(kind)}`)
    return { kind: 'built-in' }
  }
  const url = (env.OCS_URL ?? '').replace(/\/+$/, '')
  if (!/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(url)) problems.push('OCS_URL: expected http(s)://host[:port][/base]')
  const token = env.OCS_TOKEN ?? ''
  if (token === '') problems.push('OCS_TOKEN: required with BILLING=ocs')
  const timeoutMs = Number(env.OCS_TIMEOUT_MS ?? 3000)
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) problems.push('OCS_TIMEOUT_MS: expected 100 to 60000')
  const paths = {
    account: env.OCS_ACCOUNT_PATH ?? '/accounts/{msisdn}',
    credit: env.OCS_CREDIT_PATH ?? '/accounts/{msisdn}/credits',
    lookup: env.OCS_LOOKUP_PATH ?? '/credits/{key}',
  }
  for (const [name, path] of Object.entries(paths)) {
    if (!path.startsWith('/')) problems.push(`OCS_${name.toUpperCase()}_PATH: must start with /`)
  }
  return { kind: 'ocs', url, token, timeoutMs, paths }
}
