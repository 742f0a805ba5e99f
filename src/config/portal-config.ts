// The walled garden's settings: where the portal lives, which hosts are its own (everything else
// is caught and redirected), what a subscriber can pay and the offline ways to recharge.

/** The portal's configuration. */
export interface PortalConfig {
  /** Public base URL of the portal, no trailing slash (e.g. http://portal.carrier.example). */
  readonly url: string
  /** Lower-case host names served as the portal itself; any other Host is caught. */
  readonly ownHosts: readonly string[]
  readonly currency: string
  /** Amount choices in minor units, ascending. */
  readonly amountsMinor: readonly number[]
  readonly paymentMethods: readonly ('voucher' | 'card')[]
  /** Offline ways to recharge, shown on every portal page (and on the degraded page). */
  readonly offline: Readonly<{ ussd: string; smsNumber: string; smsText: string; hotline: string }>
  /** Operator overrides of the page texts by language (settings; none from the environment). */
  readonly texts: Readonly<Partial<Record<'zh-CN' | 'en', Readonly<Record<string, string>>>>>
}

type Env = Record<string, string | undefined>

/** What an offline-way text (USSD code, SMS number and text, hotline) may contain. */
export const PRINTABLE = /^[\p{L}\p{N} *#+()._,:;'/-]{1,40}$/u

/** "50" or "49.90" (major units) → minor units; undefined when not a positive amount. */
export function parseAmount(text: string): number | undefined {
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(text) || Number(text) <= 0) return undefined
  return Math.round(Number(text) * 100)
}

/** Read the portal settings from `env`, pushing problems onto `problems`. */
export function readPortalConfig(env: Env, port: number, embedded: boolean, problems: string[]): PortalConfig {
  const rawUrl = env.PORTAL_URL ?? `http://localhost:${port}`
  let url = rawUrl.replace(/\/+$/, '')
  let urlHost = 'localhost'
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme')
    if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '') throw new Error('path')
    url = `${parsed.protocol}//${parsed.host}`
    urlHost = parsed.hostname.toLowerCase()
  } catch {
    problems.push(`PORTAL_URL: expected http(s)://host[:port] with no path, got ${JSON.stringify(rawUrl)}`)
  }
  const extra = (env.PORTAL_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '')
  for (const host of extra) {
    if (!/^[a-z0-9.-]{1,253}$|^\[[0-9a-f:.]+\]$/.test(host)) problems.push(`PORTAL_HOSTS: ${JSON.stringify(host)} is not a host name`)
  }
  const ownHosts = [...new Set([urlHost, ...extra, 'localhost', '127.0.0.1', '[::1]'])]

  const currency = (env.RECHARGE_CURRENCY ?? 'CNY').trim().toUpperCase()
  if (!/^[A-Z]{3}$/.test(currency)) problems.push(`RECHARGE_CURRENCY: expected an ISO 4217 code like CNY, got ${JSON.stringify(currency)}`)

  const amountsMinor: number[] = []
  for (const item of (env.RECHARGE_AMOUNTS ?? '20,50,100').split(',').map((a) => a.trim())) {
    const minor = parseAmount(item)
    if (minor === undefined) {
      problems.push(`RECHARGE_AMOUNTS: ${JSON.stringify(item)} is not a positive amount like 50 or 49.90`)
      continue
    }
    amountsMinor.push(minor)
  }
  amountsMinor.sort((a, b) => a - b)

  const paymentMethods: ('voucher' | 'card')[] = []
  for (const method of (env.PAYMENT_METHODS ?? (embedded ? 'voucher,card' : 'voucher')).split(',').map((m) => m.trim())) {
    if (method === 'voucher' || method === 'card') paymentMethods.push(method)
    else problems.push(`PAYMENT_METHODS: ${JSON.stringify(method)} is not one of voucher, card`)
  }

  const text = (name: string, fallback: string) => {
    const value = (env[name] ?? fallback).trim()
    if (!PRINTABLE.test(value)) problems.push(`${name}: ${JSON.stringify(value)} is not a short printable text`)
    return value
  }
  return {
    url,
    ownHosts,
    currency,
    amountsMinor,
    paymentMethods,
    offline: {
      ussd: text('RECHARGE_USSD', '*100#'),
      smsNumber: text('RECHARGE_SMS_NUMBER', '10086'),
      smsText: text('RECHARGE_SMS_TEXT', 'CZ'),
      hotline: text('RECHARGE_HOTLINE', '10086'),
    },
    texts: {},
  }
}
