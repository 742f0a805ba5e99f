// JSON schemas shared by the admin API routes (request validation, response serialisation and
// the OpenAPI document all come from them). Every /api/v1 route declares a response schema.

/** The body of every error answer (see http/error-handler.ts). */
export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
} as const

/** A reason for a staff action: required, said in words. */
export const REASON_SCHEMA = { type: 'string', minLength: 5, maxLength: 500 } as const

/** A timestamp in answers. */
export const TIME_SCHEMA = { type: 'string', format: 'date-time' } as const
export const NULLABLE_TIME_SCHEMA = { type: ['string', 'null'], format: 'date-time' } as const
