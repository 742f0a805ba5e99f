// Support over the admin API: attempt search, an attempt's timeline, a line's sessions, and the
// actions (retry lift, mark refunded, force Disconnect), each with a required reason, audited.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { findAttempt } from '../../db/attempts.ts'
import { lineSessions, searchAttempts } from '../../db/support.ts'
import { appError, ERRORS } from '../../errors.ts'
import { maskMsisdn } from '../../logging/mask-msisdn.ts'
import type { NetworkPort } from '../../recharge/ports.ts'
import { roleAllows } from '../../staff/permissions.ts'
import { ATTEMPT_QUERY_SCHEMA, type AttemptQuery, attemptSearch } from '../../support/attempt-query.ts'
import { forceDisconnect, markRefunded, retryLift } from '../../support/support-actions.ts'
import { attemptTimeline } from '../../support/timeline.ts'
import { shownMsisdn } from '../staff/console-page.ts'
import { auditContext } from '../staff/staff-context.ts'
import { ERROR_SCHEMA, NULLABLE_TIME_SCHEMA, REASON_SCHEMA, TIME_SCHEMA } from './schemas.ts'

const text = { type: 'string' } as const
const nullableText = { type: ['string', 'null'] } as const
const ATTEMPT_SCHEMA = {
  type: 'object',
  properties: {
    id: text, reference: text, msisdn: { type: 'string', description: 'Masked unless the role holds msisdn:full' }, method: text,
    amountMinor: { type: ['integer', 'null'] }, currency: nullableText, state: text, sourceAddress: nullableText, realm: nullableText,
    identifiedHow: nullableText, voucherSerial: nullableText, providerOrderId: nullableText, needsSupport: { type: 'boolean' }, supportReason: nullableText,
    createdAt: TIME_SCHEMA, updatedAt: TIME_SCHEMA, paidAt: NULLABLE_TIME_SCHEMA, creditedAt: NULLABLE_TIME_SCHEMA, liftedAt: NULLABLE_TIME_SCHEMA, confirmedAt: NULLABLE_TIME_SCHEMA,
  },
} as const
const SESSION_SCHEMA = {
  type: 'object',
  properties: {
    nasName: nullableText, realm: text, acctSessionId: text, framedIp: nullableText, framedIpv6Prefix: nullableText,
    startedAt: TIME_SCHEMA, lastSeenAt: TIME_SCHEMA, stoppedAt: NULLABLE_TIME_SCHEMA, stopReason: nullableText,
  },
} as const
const EVENT_SCHEMA = {
  type: 'object',
  properties: { at: TIME_SCHEMA, kind: text, detail: { description: 'As recorded; a RADIUS exchange has request/response decoded and in hex' }, radius: { type: ['object', 'null'], additionalProperties: true } },
} as const
const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{10,64}$' } } } as const
const REASON_BODY = { type: 'object', required: ['reason'], additionalProperties: false, properties: { reason: REASON_SCHEMA } } as const
const DONE_SCHEMA = { type: 'object', properties: { done: { type: 'boolean' } } } as const
const tags = ['support']
const full = (request: FastifyRequest) => request.staff !== null && roleAllows(request.staff.role, 'msisdn:full')

/** Register the support API routes. */
export function supportApiRoutes(area: FastifyInstance, deps: { db: Kysely<Database>; network: NetworkPort | null; nudgeJobs: () => void }): void {
  area.get('/api/v1/attempts', {
    config: { permission: 'support:read' },
    schema: { tags, summary: 'Search recharge attempts, newest first (at most 200)', querystring: ATTEMPT_QUERY_SCHEMA, response: { 200: { type: 'object', properties: { attempts: { type: 'array', items: ATTEMPT_SCHEMA } } }, 400: ERROR_SCHEMA } },
  }, async (request) => {
    const search = attemptSearch(request.query as AttemptQuery, 200)
    if ('problem' in search) throw appError(ERRORS.BAD_REQUEST, search.problem)
    const attempts = await searchAttempts(deps.db, search)
    return { attempts: attempts.map((a) => ({ ...a, msisdn: shownMsisdn(request, a.msisdn), sourceAddress: a.sourceAddress === null ? null : String(a.sourceAddress) })) }
  })

  area.get('/api/v1/attempts/:id', {
    config: { permission: 'support:read' },
    schema: { tags, summary: 'An attempt with its timeline and the accounting seen since it started', params: ID_PARAMS, response: { 200: { type: 'object', properties: { attempt: ATTEMPT_SCHEMA, events: { type: 'array', items: EVENT_SCHEMA }, accountingAfter: { type: 'array', items: SESSION_SCHEMA } } }, 404: ERROR_SCHEMA } },
  }, async (request) => {
    const timeline = await attemptTimeline(deps.db, (request.params as { id: string }).id, full(request))
    if (timeline === undefined) throw appError(ERRORS.NOT_FOUND, 'No such attempt')
    return timeline
  })

  area.get('/api/v1/lines/:msisdn/sessions', {
    config: { permission: 'support:read' },
    schema: { tags, summary: "A line's accounting sessions, newest first", params: { type: 'object', required: ['msisdn'], properties: { msisdn: { type: 'string', pattern: '^[0-9]{6,15}$' } } }, response: { 200: { type: 'object', properties: { line: text, sessions: { type: 'array', items: SESSION_SCHEMA } } } } },
  }, async (request) => {
    const msisdn = (request.params as { msisdn: string }).msisdn
    return { line: full(request) ? msisdn : maskMsisdn(msisdn), sessions: await lineSessions(deps.db, msisdn, { limit: 100 }) }
  })

  const action = (name: string, summary: string, act: (request: FastifyRequest, id: string, reason: string) => Promise<unknown>) =>
    area.post(`/api/v1/attempts/:id/${name}`, {
      config: { permission: 'support:act' },
      schema: { tags, summary, params: ID_PARAMS, body: REASON_BODY, response: { 200: DONE_SCHEMA, 400: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 503: ERROR_SCHEMA } },
    }, async (request) => {
      await act(request, (request.params as { id: string }).id, (request.body as { reason: string }).reason.trim())
      return { done: true }
    })

  action('retry-lift', 'Queue a new lift (CoA/Disconnect) for a credited attempt', async (request, id, reason) => {
    await retryLift(deps.db, auditContext(request), id, reason)
    deps.nudgeJobs()
  })
  action('refund', 'Mark a paid attempt refunded (the money is returned outside the gateway)', (request, id, reason) => markRefunded(deps.db, auditContext(request), id, reason))
  area.post('/api/v1/lines/:msisdn/disconnect', {
    config: { permission: 'support:act' },
    schema: {
      tags,
      summary: "Force a Disconnect-Request for the line's active session (waits for the NAS's answer, up to 30 s)",
      params: { type: 'object', required: ['msisdn'], properties: { msisdn: { type: 'string', pattern: '^[0-9]{6,15}$' } } },
      body: REASON_BODY,
      response: { 200: { type: 'object', properties: { outcome: { type: 'object', additionalProperties: true }, acctSessionId: text } }, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA, 503: ERROR_SCHEMA },
    },
  }, async (request) => {
    const msisdn = (request.params as { msisdn: string }).msisdn
    const result = await forceDisconnect(deps.db, deps.network, auditContext(request), { msisdn, target: `line:${maskMsisdn(msisdn)}` }, (request.body as { reason: string }).reason.trim())
    return { outcome: result.outcome, acctSessionId: result.acctSessionId }
  })

  area.post('/api/v1/attempts/:id/disconnect', {
    config: { permission: 'support:act' },
    schema: {
      tags,
      summary: "Force a Disconnect-Request for the attempt's line (waits for the NAS's answer, up to 30 s)",
      params: ID_PARAMS,
      body: REASON_BODY,
      response: { 200: { type: 'object', properties: { outcome: { type: 'object', additionalProperties: true }, acctSessionId: text } }, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 503: ERROR_SCHEMA },
    },
  }, async (request) => {
    const id = (request.params as { id: string }).id
    const attempt = await findAttempt(deps.db, id)
    if (attempt === undefined) throw appError(ERRORS.NOT_FOUND, 'No such attempt')
    const result = await forceDisconnect(deps.db, deps.network, auditContext(request), { msisdn: attempt.msisdn, attemptId: id, target: `attempt:${attempt.reference}` }, (request.body as { reason: string }).reason.trim())
    return { outcome: result.outcome, acctSessionId: result.acctSessionId }
  })
}
