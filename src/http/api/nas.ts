// /api/v1/nas: NAS clients for automation. The shared secret is write-only: accepted in bodies,
// never in any answer (the response schemas have no field for it). Every change is audited.
import type { FastifyInstance } from 'fastify'
import { findNasClient, listNasClients } from '../../db/nas-clients.ts'
import { appError, ERRORS } from '../../errors.ts'
import { nasClientView } from '../../settings/config-snapshot.ts'
import { LIFT_PROFILES } from '../../settings/nas-client-input.ts'
import { createNas, removeNas, testCoa, updateNas } from '../../settings/operator-actions.ts'
import type { OperatorDeps } from '../console/operator-deps.ts'
import { auditContext } from '../staff/staff-context.ts'
import { ERROR_SCHEMA, TIME_SCHEMA } from './schemas.ts'

const ATTRIBUTES = { type: 'array', maxItems: 32, items: { type: 'object', required: ['name', 'value'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 64 }, value: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } } } as const

/** A NAS client as answered (no secret: only when it was last set). */
export const NAS_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    address: { type: 'string', description: 'source address or CIDR' },
    realm: { type: 'string' },
    secretSet: { type: 'boolean' },
    secretChangedAt: TIME_SCHEMA,
    requireMessageAuthenticator: { type: 'boolean' },
    coaHost: { type: ['string', 'null'] },
    coaPort: { type: 'integer' },
    liftProfile: { type: 'string', enum: LIFT_PROFILES },
    coaAttributes: ATTRIBUTES,
    updatedAt: TIME_SCHEMA,
  },
} as const

const NAS_INPUT = {
  type: 'object',
  required: ['name', 'address'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 64 },
    address: { type: 'string', maxLength: 50 },
    realm: { type: 'string', maxLength: 64 },
    secret: { type: 'string', maxLength: 128, description: 'write-only; required for a new NAS, left out to keep the current one' },
    requireMessageAuthenticator: { type: 'boolean' },
    coaHost: { type: ['string', 'null'], maxLength: 45 },
    coaPort: { type: 'integer' },
    liftProfile: { type: 'string' },
    coaAttributes: ATTRIBUTES,
    reason: { type: 'string', maxLength: 500 },
  },
} as const

const ID = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const
const REASON_QUERY = { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 500 } } } as const

/** Register the NAS API. */
export function nasApiRoutes(area: FastifyInstance, deps: OperatorDeps): void {
  const tags = ['nas']
  const meta = (request: Parameters<typeof auditContext>[0], reason: string | undefined) => ({ ...auditContext(request), reason: reason ?? null })

  area.get('/api/v1/nas', { config: { permission: 'nas:read' }, schema: { tags, summary: 'Every NAS client', response: { 200: { type: 'object', properties: { nasClients: { type: 'array', items: NAS_SCHEMA } } } } } }, async () => ({
    nasClients: (await listNasClients(deps.db)).map(nasClientView),
  }))

  area.get('/api/v1/nas/:id', { config: { permission: 'nas:read' }, schema: { tags, summary: 'One NAS client', params: ID, response: { 200: NAS_SCHEMA, 404: ERROR_SCHEMA } } }, async (request) => {
    const row = await findNasClient(deps.db, (request.params as { id: number }).id)
    if (row === undefined) throw appError(ERRORS.NOT_FOUND, 'No such NAS client')
    return nasClientView(row)
  })

  area.post('/api/v1/nas', { config: { permission: 'nas:write' }, schema: { tags, summary: 'Add a NAS client (secret required)', body: NAS_INPUT, response: { 200: NAS_SCHEMA, 400: ERROR_SCHEMA, 409: ERROR_SCHEMA } } }, async (request) => {
    const { reason, ...input } = request.body as Record<string, unknown> & { reason?: string }
    return createNas(deps.db, input, meta(request, reason))
  })

  area.put('/api/v1/nas/:id', { config: { permission: 'nas:write' }, schema: { tags, summary: 'Replace a NAS client (a secret left out is kept)', params: ID, body: NAS_INPUT, response: { 200: NAS_SCHEMA, 400: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA } } }, async (request) => {
    const { reason, ...input } = request.body as Record<string, unknown> & { reason?: string }
    const nas = await updateNas(deps.db, (request.params as { id: number }).id, input, meta(request, reason))
    if (nas === undefined) throw appError(ERRORS.NOT_FOUND, 'No such NAS client')
    return nas
  })

  area.delete('/api/v1/nas/:id', { config: { permission: 'nas:write' }, schema: { tags, summary: 'Remove a NAS client and its sessions', params: ID, querystring: REASON_QUERY, response: { 200: NAS_SCHEMA, 404: ERROR_SCHEMA } } }, async (request) => {
    const nas = await removeNas(deps.db, (request.params as { id: number }).id, meta(request, (request.query as { reason?: string }).reason))
    if (nas === undefined) throw appError(ERRORS.NOT_FOUND, 'No such NAS client')
    return nas
  })

  area.post('/api/v1/nas/:id/test-coa', {
    config: { permission: 'nas:write' },
    schema: {
      tags,
      summary: 'Send one CoA (or Disconnect) to the NAS and report ACK, NAK with its Error-Cause, or TIMEOUT',
      params: ID,
      body: { type: 'object', required: ['acctSessionId'], additionalProperties: false, properties: { acctSessionId: { type: 'string', minLength: 1, maxLength: 253 }, framedIp: { type: 'string', maxLength: 45 }, msisdn: { type: 'string', maxLength: 20 }, disconnect: { type: 'boolean', default: false }, reason: { type: 'string', maxLength: 500 } } },
      response: {
        200: { type: 'object', properties: { outcome: { type: 'string' }, errorCause: { type: ['integer', 'null'] }, kind: { type: 'string' }, to: { type: 'string' }, sends: { type: 'integer' }, requestHex: { type: 'string' }, responseHex: { type: ['string', 'null'] }, ignored: { type: 'array', items: { type: 'string' } } } },
        404: ERROR_SCHEMA,
      },
    },
  }, async (request) => {
    const { id } = request.params as { id: number }
    const body = request.body as { acctSessionId: string; framedIp?: string; msisdn?: string; disconnect: boolean; reason?: string }
    const report = await testCoa(deps.db, id, { acctSessionId: body.acctSessionId, framedIp: body.framedIp, msisdn: body.msisdn, disconnect: body.disconnect }, meta(request, body.reason), deps.testCoaSchedule)
    if (report === undefined) throw appError(ERRORS.NOT_FOUND, 'No such NAS client')
    return report
  })
}
