// The only reader of process.env. Every problem is collected and reported at once, so an
// operator fixes a bad deployment in one round instead of one variable per restart.
import { resolve } from 'node:path'
import { ConfigError } from './config-error.ts'

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
  readonly appSecret: string | null
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
  const appSecret = readSecret(env, 'APP_SECRET', problems)

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
    appSecret,
  })
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
