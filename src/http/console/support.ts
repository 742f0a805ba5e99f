// Support pages: attempt search, an attempt's timeline with its actions (retry lift, mark
// refunded, force Disconnect — each with a reason, audited), and a line's session history.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import { findAttempt } from '../../db/attempts.ts'
import { lineSessions, searchAttempts } from '../../db/support.ts'
import { AppError } from '../../errors.ts'
import { maskMsisdn } from '../../logging/mask-msisdn.ts'
import type { NetworkPort } from '../../recharge/ports.ts'
import { roleAllows } from '../../staff/permissions.ts'
import { ATTEMPT_QUERY_SCHEMA, ATTEMPT_STATES, type AttemptQuery, attemptSearch, hasCriteria } from '../../support/attempt-query.ts'
import { forceDisconnect, markRefunded, retryLift } from '../../support/support-actions.ts'
import { attemptTimeline } from '../../support/timeline.ts'
import { renderConsole, shownMsisdn } from '../staff/console-page.ts'
import { auditContext } from '../staff/staff-context.ts'

/** What the support pages need. */
export interface SupportDeps {
  db: Kysely<Database>
  network: NetworkPort | null
  nudgeJobs: () => void
}

const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{10,64}$' } } } as const
const REASON_FORM = { type: 'object', properties: { reason: { type: 'string', maxLength: 500 }, _csrf: { type: 'string' } } } as const
const DONE = { 'retry-lift': 'A new lift was queued.', refund: 'The attempt is marked refunded.', disconnect: 'Disconnect sent; its answer is on the timeline.' } as const
const full = (request: FastifyRequest) => request.staff !== null && roleAllows(request.staff.role, 'msisdn:full')

/** The reason of an action form, or null when it is too short to explain anything. */
function reasonOf(request: FastifyRequest): string | null {
  const reason = ((request.body as { reason?: string }).reason ?? '').trim()
  return reason.length >= 5 ? reason : null
}

/** Register the support console pages. */
export function supportConsoleRoutes(area: FastifyInstance, deps: SupportDeps): void {
  area.get('/console/attempts', { config: { permission: 'support:read' }, schema: { querystring: ATTEMPT_QUERY_SCHEMA } }, async (request, reply) => {
    const query = request.query as AttemptQuery
    const view = { title: 'Attempts', query, states: ATTEMPT_STATES, searched: hasCriteria(query), rows: [] as unknown[] }
    if (!view.searched) return renderConsole(request, reply, 'attempts.eta', view)
    const search = attemptSearch(query, 200)
    if ('problem' in search) return renderConsole(request, reply, 'attempts.eta', { ...view, problem: search.problem })
    const rows = (await searchAttempts(deps.db, search)).map((a) => ({ ...a, msisdn: shownMsisdn(request, a.msisdn), sourceAddress: a.sourceAddress === null ? null : String(a.sourceAddress) }))
    return renderConsole(request, reply, 'attempts.eta', { ...view, rows })
  })

  async function showAttempt(request: FastifyRequest, reply: FastifyReply, id: string, extra: { notice?: string; problem?: string } = {}) {
    const timeline = await attemptTimeline(deps.db, id, full(request))
    if (timeline === undefined) return reply.callNotFound()
    const mayAct = request.staff !== null && roleAllows(request.staff.role, 'support:act')
    return renderConsole(request, reply, 'attempt.eta', { title: `Attempt ${timeline.attempt.reference}`, ...timeline, mayAct, canDisconnect: deps.network !== null, ...extra })
  }

  area.get('/console/attempts/:id', {
    config: { permission: 'support:read' },
    schema: { params: ID_PARAMS, querystring: { type: 'object', properties: { done: { type: 'string', enum: Object.keys(DONE) } } } },
  }, async (request, reply) => {
    const done = (request.query as { done?: keyof typeof DONE }).done
    return showAttempt(request, reply, (request.params as { id: string }).id, done === undefined ? {} : { notice: DONE[done] })
  })

  const actions = {
    'retry-lift': async (request: FastifyRequest, id: string, reason: string) => {
      await retryLift(deps.db, auditContext(request), id, reason)
      deps.nudgeJobs()
    },
    refund: (request: FastifyRequest, id: string, reason: string) => markRefunded(deps.db, auditContext(request), id, reason),
    disconnect: async (request: FastifyRequest, id: string, reason: string) => {
      const attempt = await findAttempt(deps.db, id)
      if (attempt === undefined) return
      await forceDisconnect(deps.db, deps.network, auditContext(request), { msisdn: attempt.msisdn, attemptId: id, target: `attempt:${attempt.reference}` }, reason)
    },
  }
  for (const [name, act] of Object.entries(actions)) {
    area.post(`/console/attempts/:id/${name}`, { config: { permission: 'support:act' }, schema: { params: ID_PARAMS, body: REASON_FORM } }, async (request, reply) => {
      const id = (request.params as { id: string }).id
      const reason = reasonOf(request)
      if (reason === null) return showAttempt(request, reply.code(400), id, { problem: 'Give a reason (at least 5 characters): it goes into the audit log.' })
      try {
        await act(request, id, reason)
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500 && err.code !== 'SUPPORT.NETWORK_UNAVAILABLE') throw err
        return showAttempt(request, reply.code(err.status), id, { problem: err.message })
      }
      return reply.code(303).header('location', `/console/attempts/${encodeURIComponent(id)}?done=${name}`).send()
    })
  }

  area.get('/console/lines', {
    config: { permission: 'support:read' },
    schema: { querystring: { type: 'object', additionalProperties: false, properties: { msisdn: { type: 'string', maxLength: 20 }, attempt: ID_PARAMS.properties.id } } },
  }, async (request, reply) => {
    const query = request.query as { msisdn?: string; attempt?: string }
    let msisdn = query.msisdn?.replace(/[\s+-]/g, '')
    if (query.attempt !== undefined) msisdn = (await findAttempt(deps.db, query.attempt))?.msisdn
    const view = { title: 'Line sessions', query: { msisdn: query.attempt === undefined ? (query.msisdn ?? '') : '' }, searched: msisdn !== undefined && msisdn !== '', sessions: [] as unknown[], attempts: [] as unknown[], line: '' }
    if (!view.searched) return renderConsole(request, reply, 'line.eta', view)
    if (!/^\d{6,15}$/.test(msisdn!)) return renderConsole(request, reply, 'line.eta', { ...view, searched: false, problem: 'Give the whole number (digits only, with country code).' })
    const sessions = await lineSessions(deps.db, msisdn!, { limit: 100 })
    const attempts = (await searchAttempts(deps.db, { msisdn, limit: 20 })).map((a) => ({ ...a, msisdn: shownMsisdn(request, a.msisdn) }))
    return renderConsole(request, reply, 'line.eta', { ...view, line: full(request) ? msisdn : maskMsisdn(msisdn), sessions, attempts })
  })
}
