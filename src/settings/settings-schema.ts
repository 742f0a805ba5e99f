// The operator settings an operator may hold in the database (console, /api/v1, YAML): their
// shape and their validation. A key that is absent means "the environment's default". Every
// problem is reported with its path, and nothing is accepted while any remains.
import { HEADER_NAME, isAddressOrCidr } from '../config/load-config.ts'
import { parseAmount, PRINTABLE } from '../config/portal-config.ts'
import { builtInText, TEXT_KEYS } from '../http/portal/i18n.ts'

/** The languages whose texts may be overridden. */
export const TEXT_LANGS = ['zh-CN', 'en'] as const
export type TextLang = (typeof TEXT_LANGS)[number]

/** Settings as stored (and as written in YAML); every key optional. */
export interface StoredSettings {
  trustedProxies?: string[]
  enrichmentHeaders?: string[]
  currency?: string
  /** Amount choices in major units, normalised to two decimals ("20.00"). */
  amounts?: string[]
  paymentMethods?: ('voucher' | 'card')[]
  ussd?: string
  smsNumber?: string
  smsText?: string
  hotline?: string
  texts?: Partial<Record<TextLang, Record<string, string>>>
  /** The RFC 8908 API URL the network advertises with RFC 8910 (DHCP option 114, RA option 37). */
  captiveApiUrl?: string
}

/** Every settings key, in the order the console and YAML show them. */
export const SETTING_KEYS = [
  'trustedProxies', 'enrichmentHeaders', 'currency', 'amounts', 'paymentMethods',
  'ussd', 'smsNumber', 'smsText', 'hotline', 'texts', 'captiveApiUrl',
] as const satisfies readonly (keyof StoredSettings)[]
export type SettingKey = (typeof SETTING_KEYS)[number]

/** One validation problem: where (e.g. `settings.amounts[2]`) and what. */
export interface Problem {
  path: string
  message: string
}

/** What validation needs to know about the environment. */
export interface SettingsContext {
  /** A payment provider is configured, so `card` may be offered. */
  cardAvailable: boolean
  /** The environment's trusted proxies (used when the settings do not set their own). */
  envTrustedProxies: readonly string[]
}

const MAX_LIST = 256
const MAX_TEXT = 500

function list(value: unknown, path: string, problems: Problem[], check: (item: string, at: string) => string | undefined): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.push({ path, message: 'expected a list' })
    return undefined
  }
  if (value.length > MAX_LIST) problems.push({ path, message: `at most ${MAX_LIST} entries` })
  const out: string[] = []
  value.forEach((item, i) => {
    const at = `${path}[${i}]`
    const text = typeof item === 'number' ? String(item) : item
    if (typeof text !== 'string') return problems.push({ path: at, message: 'expected a text' })
    const fixed = check(text.trim(), at)
    if (fixed !== undefined) out.push(fixed)
  })
  const duplicates = out.filter((item, i) => out.indexOf(item) !== i)
  if (duplicates.length > 0) problems.push({ path, message: `listed twice: ${[...new Set(duplicates)].join(', ')}` })
  return out
}

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)
}

function validateTexts(value: unknown, path: string, problems: Problem[]): StoredSettings['texts'] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ path, message: `expected languages (${TEXT_LANGS.join(', ')}) with texts by key` })
    return undefined
  }
  const out: NonNullable<StoredSettings['texts']> = {}
  for (const [lang, texts] of Object.entries(value)) {
    const at = `${path}.${lang}`
    if (!(TEXT_LANGS as readonly string[]).includes(lang)) {
      problems.push({ path: at, message: `unknown language (expected ${TEXT_LANGS.join(' or ')})` })
      continue
    }
    if (texts === null || typeof texts !== 'object' || Array.isArray(texts)) {
      problems.push({ path: at, message: 'expected texts by key' })
      continue
    }
    const langTexts: Record<string, string> = {}
    for (const [key, text] of Object.entries(texts as Record<string, unknown>)) {
      const keyAt = `${at}.${key}`
      const builtIn = builtInText(lang as TextLang, key)
      if (builtIn === undefined || !TEXT_KEYS.includes(key)) {
        problems.push({ path: keyAt, message: 'not a text of the portal' })
        continue
      }
      if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT) {
        problems.push({ path: keyAt, message: `expected a text of 1 to ${MAX_TEXT} characters` })
        continue
      }
      const allowed = new Set(placeholders(builtIn))
      const unknown = placeholders(text).filter((name) => !allowed.has(name))
      if (unknown.length > 0) {
        problems.push({ path: keyAt, message: `unknown placeholder ${unknown.map((n) => `{${n}}`).join(', ')} (this text may use ${[...allowed].map((n) => `{${n}}`).join(', ') || 'none'})` })
        continue
      }
      langTexts[key] = text.trim()
    }
    if (Object.keys(langTexts).length > 0) out[lang as TextLang] = langTexts
  }
  return out
}

function shortText(value: unknown, path: string, problems: Problem[]): string | undefined {
  const text = typeof value === 'number' ? String(value) : value
  if (typeof text !== 'string' || !PRINTABLE.test(text.trim())) {
    problems.push({ path, message: 'expected a short printable text (1 to 40 letters, digits, spaces or * # + ( ) . _ , : ; \' / -)' })
    return undefined
  }
  return text.trim()
}

function captiveUrl(value: unknown, path: string, problems: Problem[]): string | undefined {
  try {
    if (typeof value !== 'string') throw new Error('type')
    const url = new URL(value.trim())
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme')
    if (url.username !== '' || url.password !== '' || url.hash !== '') throw new Error('parts')
    return url.toString()
  } catch {
    problems.push({ path, message: 'expected an absolute http(s) URL such as https://portal.example/.well-known/captive-portal' })
    return undefined
  }
}

/**
 * Validate settings as an operator wrote them (`path` prefixes every problem). Returns the
 * normalised settings, or problems; unknown keys are problems too (a typo must not pass silently).
 */
export function validateSettings(input: unknown, context: SettingsContext, path = 'settings'): { settings: StoredSettings; problems: Problem[] } {
  const problems: Problem[] = []
  const settings: StoredSettings = {}
  if (input === null || input === undefined) return { settings, problems }
  if (typeof input !== 'object' || Array.isArray(input)) return { settings, problems: [{ path, message: 'expected settings by name' }] }
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    const at = `${path}.${key}`
    if (value === null || value === undefined) continue // null: use the environment's default
    switch (key) {
      case 'trustedProxies':
        settings.trustedProxies = list(value, at, problems, (item, i) => (isAddressOrCidr(item) ? item : void problems.push({ path: i, message: `${JSON.stringify(item)} is not an IP address or CIDR` })))
        break
      case 'enrichmentHeaders':
        settings.enrichmentHeaders = list(value, at, problems, (item, i) => (HEADER_NAME.test(item.toLowerCase()) ? item.toLowerCase() : void problems.push({ path: i, message: `${JSON.stringify(item)} is not a header name` })))
        break
      case 'currency':
        if (typeof value === 'string' && /^[A-Z]{3}$/.test(value.trim().toUpperCase())) settings.currency = value.trim().toUpperCase()
        else problems.push({ path: at, message: 'expected an ISO 4217 code like CNY' })
        break
      case 'amounts': {
        const amounts = list(value, at, problems, (item, i) => {
          const minor = parseAmount(item)
          return minor === undefined ? void problems.push({ path: i, message: `${JSON.stringify(item)} is not a positive amount like 50 or 49.90` }) : (minor / 100).toFixed(2)
        })
        if (amounts !== undefined && amounts.length === 0) problems.push({ path: at, message: 'offer at least one amount' })
        if (amounts !== undefined) settings.amounts = amounts.sort((a, b) => Number(a) - Number(b))
        break
      }
      case 'paymentMethods': {
        const methods = list(value, at, problems, (item, i) => {
          if (item === 'voucher' || item === 'card') return item
          return void problems.push({ path: i, message: `${JSON.stringify(item)} is not one of voucher, card` })
        }) as ('voucher' | 'card')[] | undefined
        if (methods !== undefined && methods.length === 0) problems.push({ path: at, message: 'offer at least one payment method' })
        if (methods?.includes('card') && !context.cardAvailable) problems.push({ path: at, message: 'card needs a payment provider (PSP_URL and the other PSP_ variables)' })
        settings.paymentMethods = methods
        break
      }
      case 'ussd':
      case 'smsNumber':
      case 'smsText':
      case 'hotline':
        settings[key] = shortText(value, at, problems)
        break
      case 'texts':
        settings.texts = validateTexts(value, at, problems)
        break
      case 'captiveApiUrl':
        settings.captiveApiUrl = captiveUrl(value, at, problems)
        break
      default:
        problems.push({ path: at, message: `unknown setting (known: ${SETTING_KEYS.join(', ')})` })
    }
  }
  const proxies = settings.trustedProxies ?? context.envTrustedProxies
  if ((settings.enrichmentHeaders?.length ?? 0) > 0 && proxies.length === 0) {
    problems.push({ path: `${path}.enrichmentHeaders`, message: 'set trustedProxies too: headers are only believed from trusted proxies' })
  }
  for (const key of SETTING_KEYS) if (settings[key] === undefined) delete settings[key]
  return { settings, problems }
}

/**
 * Settings as read back from the database. They were validated when written, so a problem here
 * is a hand edit in SQL: that key is left out (its environment default applies) and reported.
 */
export function storedSettings(values: Record<string, unknown>, context: SettingsContext): { settings: StoredSettings; problems: Problem[] } {
  const { settings, problems } = validateSettings(values, context)
  for (const problem of problems) delete (settings as Record<string, unknown>)[problem.path.split(/[.[]/)[1] ?? '']
  return { settings, problems }
}
