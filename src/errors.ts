// The error catalogue: one stable dotted code per failure, its HTTP status and a message safe to
// show a client. Codes are never reused; the HTTP mapping lives only in http/error-handler.ts.

/** A failure the gateway expects and knows how to describe. */
export class AppError extends Error {
  /** Stable, dotted, never reused (e.g. 'HTTP.NOT_FOUND'). */
  readonly code: string
  /** The HTTP status this error maps to. */
  readonly status: number

  constructor(code: string, status: number, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AppError'
    this.code = code
    this.status = status
  }
}

/** Every code the gateway can return, with its status and client-safe message. */
export const ERRORS = {
  NOT_FOUND: { code: 'HTTP.NOT_FOUND', status: 404, message: 'Not found' },
  BAD_REQUEST: { code: 'HTTP.BAD_REQUEST', status: 400, message: 'The request is not valid' },
  PAYLOAD_TOO_LARGE: { code: 'HTTP.PAYLOAD_TOO_LARGE', status: 413, message: 'The request body is too large' },
  RATE_LIMITED: { code: 'HTTP.RATE_LIMITED', status: 429, message: 'Too many requests; try again in a minute' },
  SHUTTING_DOWN: { code: 'HTTP.SHUTTING_DOWN', status: 503, message: 'The service is restarting; try again' },
  OVERLOADED: { code: 'HTTP.OVERLOADED', status: 503, message: 'The service is busy; try again in a few seconds' },
  INTERNAL: { code: 'HTTP.INTERNAL', status: 500, message: 'Something went wrong on our side' },
  DATABASE_UNAVAILABLE: { code: 'HTTP.DATABASE_UNAVAILABLE', status: 503, message: 'The service is briefly unavailable; try again in a moment' },
  STAFF_UNAUTHENTICATED: { code: 'STAFF.UNAUTHENTICATED', status: 401, message: 'Sign in (or send a valid API token) first' },
  STAFF_FORBIDDEN: { code: 'STAFF.FORBIDDEN', status: 403, message: 'Your role does not allow this' },
  STAFF_CSRF: { code: 'STAFF.CSRF', status: 403, message: 'The form has expired; reload the page and try again' },
  STAFF_LOGIN_THROTTLED: { code: 'STAFF.LOGIN_THROTTLED', status: 429, message: 'Too many failed sign-ins; try again later' },
  STAFF_REASON_REQUIRED: { code: 'STAFF.REASON_REQUIRED', status: 400, message: 'Give a reason (at least 5 characters)' },
  CONFIG_INVALID: { code: 'CONFIG.INVALID', status: 400, message: 'The configuration is not valid' },
  NAS_CONFLICT: { code: 'CONFIG.NAS_CONFLICT', status: 409, message: 'Another NAS client already has that name or address' },
  SUPPORT_ACTION_REFUSED: { code: 'SUPPORT.ACTION_REFUSED', status: 409, message: 'This action does not apply to the attempt in its current state' },
  SUPPORT_NETWORK_UNAVAILABLE: { code: 'SUPPORT.NETWORK_UNAVAILABLE', status: 503, message: 'No network adapter is configured to send a Disconnect' },
} as const

/** Build the AppError for a catalogue entry, optionally with a more specific message. */
export function appError(entry: (typeof ERRORS)[keyof typeof ERRORS], message?: string): AppError {
  return new AppError(entry.code, entry.status, message ?? entry.message)
}
