// One pino configuration for the whole process: JSON lines (pretty only on a terminal), phone
// numbers masked and secrets redacted wherever these field names appear in a logged object.
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino'
import { maskMsisdn } from './mask-msisdn.ts'

/** Field names whose values are phone numbers: masked, not removed, so support can still match them. */
export const MSISDN_FIELDS = ['msisdn', 'callingStationId', 'phone'] as const

/** Field names whose values must never be written anywhere. */
export const SECRET_FIELDS = [
  'secret', 'sharedSecret', 'password', 'passwordHash', 'pin', 'pinHash', 'token', 'accessToken',
  'apiToken', 'appSecret', 'databaseUrl', 'authorization', 'cookie', 'set-cookie', 'x-api-key',
] as const

const REDACTED = '[redacted]'

function redactPaths(): string[] {
  const paths: string[] = []
  for (const field of [...MSISDN_FIELDS, ...SECRET_FIELDS]) {
    const key = /^[A-Za-z_$][\w$]*$/.test(field) ? field : `["${field}"]`
    const dotted = key.startsWith('[') ? key : `.${key}`
    paths.push(key, `*${dotted}`, `*.*${dotted}`)
  }
  paths.push('req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]')
  return paths
}

const MSISDN_SET = new Set<string>(MSISDN_FIELDS)

/** Pino options shared by the process logger and Fastify's request logger. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    base: { service: 'recharge-gateway' },
    redact: {
      paths: redactPaths(),
      censor: (value: unknown, path: string[]) => {
        const field = path[path.length - 1] ?? ''
        return MSISDN_SET.has(field) ? maskMsisdn(value) : REDACTED
      },
    },
  }
}

/** Build the process logger; `destination` is for tests that read what was logged. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = loggerOptions(level)
  if (destination) return pino(options, destination)
  if (process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } })
  }
  return pino(options)
}
