// The only reader of process.env. Every problem is collected and reported at once, so an
// operator fixes a bad deployment in one round instead of one variable per restart.
import { resolve } from 'node:path'
import ipaddr from 'ipaddr.js'
import { ConfigError } from './config-error.ts'
import { type PortalConfig, readPortalConfig } from './portal-config.ts'
import { type PspSettings, readPspConfig } from './psp-config.ts'
import { type BillingSettings, readBillingConfig } from './billing-config.ts'

/** Pino's levels plus 'silent'. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Where the data lives: a PostgreSQL server, or the embedded PGlite (on disk or in memory). */
export type DatabaseConfig =
  | { kind: 'postgres'; url: string; poolSize: number }
  | { kind: 'embedded'; dataDir: string | null }

/** The validated, frozen configuration every part reads. */
export interface Config {
  readonly host: string
  readonly port: number
  readonly radiusAcctPort: number
  readonly radiusHost: string
  readonly database: Readonly<DatabaseConfig>
  readonly migrateOnStart: boolean
  readonly seedDemo: boolean
  readonly logLevel: LogLevel
  readonly shutdownTimeoutMs: number
  /** After SIGTERM, how long /readyz says "not ready" while everything still serves, before closing (ms). */
  readonly shutdownDrainMs: number
  readonly appSecret: string | null
  readonly identification: Readonly<IdentificationConfig>
  readonly sessions: Readonly<SessionConfig>
  readonly portal: Readonly<PortalConfig>
  readonly psp: Readonly<PspSettings> | null
  readonly billing: Readonly<BillingSettings>
  readonly jobs: Readonly<{ concurrency: number; leaseMs: number }>
  readonly shedding: Readonly<SheddingConfig>
}

/** When HTTP requests are answered 503 instead of queued (0 turns a check off). */
export interface SheddingConfig {
  /** Mean event-loop delay over one sample above which requests are shed (ms). */
  readonly maxEventLoopDelayMs: number
  /** Event-loop utilisation over one sample above which requests are shed (percent). */
  readonly maxEventLoopUtilizationPercent: number
  /** Requests in the app (past the walled garden) above which new ones are shed. */
  readonly maxInFlight: number
  /** How often delay and utilisation are sampled (ms). */
  readonly sampleMs: number
  /** The Retry-After a shed request is given (s). */
  readonly retryAfterS: number
}

/** How HTTP requests are tied to lines. */
export interface IdentificationConfig {
  /** Proxies (address or CIDR) whose X-Forwarded-For hop and enrichment headers are believed. */
  readonly trustedProxies: readonly string[]
  /** Lower-case header names a trusted proxy uses to tell the subscriber's MSISDN. */
  readonly enrichmentHeaders: readonly string[]
  /** Lower-case header name a trusted proxy uses to tell the realm (APN/VRF); empty for none. */
  readonly realmHeader: string
  /** Realm by local listening address (`addr` or `addr:port`); anything else is `defaultRealm`. */
  readonly realmsByListener: Readonly<Record<string, string>>
  readonly defaultRealm: string
  /** Country code prefixed to national numbers in Calling-Station-Id and forms. */
  readonly countryCode: string
}

/** How accounting sessions are kept. */
export interface SessionConfig {
  /** The NASes' interim interval in seconds. */
  readonly interimIntervalS: number
  /** A session with no record for this many interim intervals has expired. */
  readonly expiryFactor: number
  /** How often the NAS client list is re-read from the database (ms). */
  readonly nasRefreshMs: number
}

type Env = Record<string, string | undefined>

/** Validate `env` once and return a frozen Config, or throw one ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []
  const port = readPort(env, 'PORT', 8080, problems)
  const radiusAcctPort = readPort(env, 'RADIUS_ACCT_PORT', 1813, problems)
  const host = readHost(env, 'HOST', '0.0.0.0', problems)
  const radiusHost = readHost(env, 'RADIUS_HOST', host, problems)
  const logLevel = readLogLevel(env, problems)
  const database = readDatabase(env, problems)
  const embedded = database?.kind === 'embedded'
  const migrateOnStart = readBoolean(env, 'MIGRATE_ON_START', embedded, problems)
  const shutdownTimeoutMs = readInteger(env, 'SHUTDOWN_TIMEOUT_MS', 9000, 100, 60_000, problems)
  const shutdownDrainMs = readInteger(env, 'SHUTDOWN_DRAIN_MS', 0, 0, 60_000, problems)
  if (shutdownDrainMs >= shutdownTimeoutMs) problems.push('SHUTDOWN_DRAIN_MS: must be shorter than SHUTDOWN_TIMEOUT_MS (the drain is part of it)')
  const appSecret = readSecret(env, 'APP_SECRET', problems)
  const identification = readIdentification(env, problems)
  const portal = readPortalConfig(env, port, database?.kind === 'embedded', problems)
  const billing = readBillingConfig(env, problems)
  const jobs = {
    concurrency: readInteger(env, 'JOB_CONCURRENCY', 16, 1, 256, problems),
    leaseMs: readInteger(env, 'JOB_LEASE_MS', 15_000, 1000, 600_000, problems),
  }
  const shedding: SheddingConfig = {
    maxEventLoopDelayMs: readInteger(env, 'LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS', 100, 0, 60_000, problems),
    maxEventLoopUtilizationPercent: readInteger(env, 'LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION', 0, 0, 100, problems),
    maxInFlight: readInteger(env, 'LOAD_SHED_MAX_IN_FLIGHT', 64, 0, 100_000, problems),
    sampleMs: readInteger(env, 'LOAD_SHED_SAMPLE_MS', 250, 10, 10_000, problems),
    retryAfterS: readInteger(env, 'LOAD_SHED_RETRY_AFTER_S', 5, 1, 3600, problems),
  }
  const psp = readPspConfig(env, database?.kind === 'embedded', portal.url, problems)
  if (portal.paymentMethods.includes('card') && psp === null) {
    problems.push('PAYMENT_METHODS: card needs a payment provider (PSP_URL, PSP_MERCHANT_ID, PSP_API_KEY, PSP_WEBHOOK_SECRET)')
  }
  const sessions: SessionConfig = {
    interimIntervalS: readInteger(env, 'SESSION_INTERIM_INTERVAL', 300, 10, 86_400, problems),
    expiryFactor: readInteger(env, 'SESSION_EXPIRY_FACTOR', 3, 2, 100, problems),
    nasRefreshMs: readInteger(env, 'NAS_REFRESH_MS', 5000, 100, 600_000, problems),
  }

  if (!embedded && env.SEED_DEMO !== undefined && readBoolean(env, 'SEED_DEMO', false, problems)) {
    problems.push('SEED_DEMO: demo data is only seeded on the embedded database, never with DATABASE_URL')
  }
  if (problems.length > 0 || database === null) throw new ConfigError(problems)

  return Object.freeze({
    host,
    port,
    radiusAcctPort,
    radiusHost,
    database: Object.freeze(database),
    migrateOnStart,
    seedDemo: embedded && readBoolean(env, 'SEED_DEMO', true, []),
    logLevel,
    shutdownTimeoutMs,
    shutdownDrainMs,
    appSecret,
    identification: Object.freeze(identification),
    sessions: Object.freeze(sessions),
    portal: Object.freeze(portal),
    psp: psp === null ? null : Object.freeze(psp),
    billing: Object.freeze(billing),
    jobs: Object.freeze(jobs),
    shedding: Object.freeze(shedding),
  })
}

function readList(env: Env, name: string): string[] {
  return (env[name] ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '')
}

/** Whether `value` is an IP address or a CIDR. */
export function isAddressOrCidr(value: string): boolean {
  try {
    if (value.includes('/')) ipaddr.parseCIDR(value)
    else ipaddr.parse(value)
    return true
  } catch {
    return false
  }
}

/** `addr` or `addr port` for "10.0.0.1", "10.0.0.1:8080", "[2001:db8::1]:8080" or "2001:db8::1". */
export function listenerKey(listener: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(listener)
  const v4WithPort = /^([\d.]+):(\d{1,5})$/.exec(listener)
  const [address, port] = bracketed ? [bracketed[1], bracketed[2]] : v4WithPort ? [v4WithPort[1], v4WithPort[2]] : [listener, undefined]
  if (address === undefined || !ipaddr.isValid(address)) return undefined
  const canonical = ipaddr.process(address).toString()
  return port === undefined ? canonical : `${canonical} ${Number(port)}`
}

/** A lower-case HTTP header name. */
export const HEADER_NAME = /^[a-z0-9-]{1,64}$/
const REALM_NAME = /^[A-Za-z0-9._-]{1,64}$/

function readIdentification(env: Env, problems: string[]): IdentificationConfig {
  const trustedProxies = readList(env, 'TRUSTED_PROXIES')
  for (const proxy of trustedProxies) {
    if (!isAddressOrCidr(proxy)) problems.push(`TRUSTED_PROXIES: ${JSON.stringify(proxy)} is not an IP address or CIDR`)
  }
  const enrichmentHeaders = readList(env, 'ENRICHMENT_HEADERS').map((h) => h.toLowerCase())
  for (const header of enrichmentHeaders) {
    if (!HEADER_NAME.test(header)) problems.push(`ENRICHMENT_HEADERS: ${JSON.stringify(header)} is not a header name`)
  }
  const realmHeader = (env.REALM_HEADER ?? '').trim().toLowerCase()
  if (realmHeader !== '' && !HEADER_NAME.test(realmHeader)) problems.push(`REALM_HEADER: ${JSON.stringify(realmHeader)} is not a header name`)
  if ((enrichmentHeaders.length > 0 || realmHeader !== '') && trustedProxies.length === 0) {
    problems.push('ENRICHMENT_HEADERS/REALM_HEADER: set TRUSTED_PROXIES too; headers are only believed from trusted proxies')
  }
  const defaultRealm = (env.DEFAULT_REALM ?? 'default').trim()
  if (!REALM_NAME.test(defaultRealm)) problems.push(`DEFAULT_REALM: ${JSON.stringify(defaultRealm)} is not a realm name`)
  const realmsByListener: Record<string, string> = {}
  for (const item of readList(env, 'REALMS_BY_LISTENER')) {
    const [listener, realm] = item.split('=').map((part) => part.trim())
    const key = listener === undefined ? undefined : listenerKey(listener)
    if (key === undefined || !realm || !REALM_NAME.test(realm)) {
      problems.push(`REALMS_BY_LISTENER: ${JSON.stringify(item)} is not address[:port]=realm`)
      continue
    }
    realmsByListener[key] = realm
  }
  const countryCode = (env.DEFAULT_COUNTRY_CODE ?? '86').trim()
  if (!/^[1-9]\d{0,2}$/.test(countryCode)) problems.push(`DEFAULT_COUNTRY_CODE: ${JSON.stringify(countryCode)} is not a country calling code`)
  return { trustedProxies, enrichmentHeaders, realmHeader, realmsByListener, defaultRealm, countryCode }
}

function readPort(env: Env, name: string, fallback: number, problems: string[]): number {
  return readInteger(env, name, fallback, 0, 65535, problems)
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw.trim())) {
    problems.push(`${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
    return fallback
  }
  const value = Number(raw.trim())
  if (value < min || value > max) {
    problems.push(`${name}: ${value} is out of range (${min} to ${max})`)
    return fallback
  }
  return value
}

function readHost(env: Env, name: string, fallback: string, problems: string[]): string {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^[A-Za-z0-9.:\-[\]]+$/.test(raw)) {
    problems.push(`${name}: expected an IP address or host name, got ${JSON.stringify(raw)}`)
    return fallback
  }
  return raw
}

function readLogLevel(env: Env, problems: string[]): LogLevel {
  const raw = env.LOG_LEVEL
  if (raw === undefined || raw === '') return 'info'
  const level = LOG_LEVELS.find((l) => l === raw.toLowerCase())
  if (level === undefined) {
    problems.push(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`)
    return 'info'
  }
  return level
}

function readBoolean(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = raw.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(value)) return true
  if (['0', 'false', 'no', 'off'].includes(value)) return false
  problems.push(`${name}: expected true or false, got ${JSON.stringify(raw)}`)
  return fallback
}

function readSecret(env: Env, name: string, problems: string[]): string | null {
  const raw = env[name]
  if (raw === undefined || raw === '') return null
  if (raw.length < 32) problems.push(`${name}: must be at least 32 characters long`)
  return raw
}

function readDatabase(env: Env, problems: string[]): DatabaseConfig | null {
  const url = env.DATABASE_URL
  const poolSize = readInteger(env, 'DATABASE_POOL_SIZE', 10, 1, 200, problems)
  if (url === undefined || url === '') {
    const dataDir = env.DATA_DIR
    if (dataDir === 'memory') return { kind: 'embedded', dataDir: null }
    return { kind: 'embedded', dataDir: resolve(dataDir && dataDir !== '' ? dataDir : 'data') }
  }
  let parsed: URL
  try {
    // libpq's socket form `postgresql://user@/db?host=/dir` has an empty host, which WHATWG URL
    // rejects when credentials are present; node-postgres accepts it, so validate it that way too.
    parsed = new URL(url.replace(/^(postgres(?:ql)?:\/\/[^/@]*@)\//, '$1localhost/'))
  } catch {
    problems.push('DATABASE_URL: not a URL (expected postgresql://user:password@host:5432/database)')
    return null
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    problems.push(`DATABASE_URL: scheme must be postgresql:// or postgres://, got ${parsed.protocol}//`)
    return null
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  if (database === '') problems.push('DATABASE_URL: names no database (expected …/database after the host)')
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    problems.push('DATABASE_URL: names no host (use host:port, or ?host=/socket/dir for a unix socket)')
  }
  return { kind: 'postgres', url, poolSize }
}
