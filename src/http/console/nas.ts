// The console's NAS clients: list, add, change (the shared secret is write-only: the form never
// shows it, an empty field keeps it), remove, and "send test CoA" (ACK / NAK with Error-Cause /
// timeout, both packets in hex). Every change is audited with its reason.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { findNasClient, listNasClients } from '../../db/nas-clients.ts'
import { AppError } from '../../errors.ts'
import { nasClientView } from '../../settings/config-snapshot.ts'
import { LIFT_PROFILES } from '../../settings/nas-client-input.ts'
import { ConfigInvalidError, createNas, removeNas, testCoa, updateNas } from '../../settings/operator-actions.ts'
import { renderConsole } from '../staff/console-page.ts'
import { auditContext } from '../staff/staff-context.ts'
import type { OperatorDeps } from './operator-deps.ts'

type Form = Record<string, string | undefined>

const ID = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const
const FORM = { type: 'object', additionalProperties: { type: 'string', maxLength: 4000 } } as const

/** "Name = value" lines → CoA attributes. */
function attributesOf(text: string | undefined): { name: string; value: string }[] {
  const lines = (text ?? '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
  return lines.map((line) => {
    const at = line.indexOf('=')
    return { name: at === -1 ? line : line.slice(0, at).trim(), value: at === -1 ? '' : line.slice(at + 1).trim() }
  })
}

/** The NAS fields of a submitted form. */
function nasInput(form: Form) {
  return {
    name: form.name ?? '',
    address: form.address ?? '',
    realm: form.realm || 'default',
    secret: form.secret || undefined,
    requireMessageAuthenticator: form.requireMessageAuthenticator === 'on',
    coaHost: form.coaHost || null,
    coaPort: form.coaPort || '3799',
    liftProfile: form.liftProfile ?? 'coa',
    coaAttributes: attributesOf(form.coaAttributes),
  }
}

/** The form's fields for an existing NAS (never its secret). */
function formOf(nas: ReturnType<typeof nasClientView>): Form {
  return {
    name: nas.name,
    address: nas.address,
    realm: nas.realm,
    requireMessageAuthenticator: nas.requireMessageAuthenticator ? 'on' : '',
    coaHost: nas.coaHost ?? '',
    coaPort: String(nas.coaPort),
    liftProfile: nas.liftProfile,
    coaAttributes: nas.coaAttributes.map((a) => `${a.name} = ${a.value}`).join('\n'),
  }
}

/** Problems of a refused change, as the page lists them. */
function problemsOf(err: unknown): string[] {
  if (err instanceof ConfigInvalidError) return err.problems.map((p) => `${p.path.replace(/^nas\./, '')}: ${p.message}`)
  if (err instanceof AppError && err.status < 500) return [err.message]
  throw err
}

/** Register the NAS console pages. */
export function nasConsoleRoutes(area: FastifyInstance, deps: OperatorDeps): void {
  const profiles = LIFT_PROFILES

  async function listPage(request: FastifyRequest, reply: FastifyReply, extra: { form?: Form; problems?: string[]; notice?: string }) {
    const nas = (await listNasClients(deps.db)).map(nasClientView)
    return renderConsole(request, reply, 'nas-list.eta', { title: 'NAS clients', nas, profiles, form: extra.form ?? { requireMessageAuthenticator: 'on', coaPort: '3799', realm: 'default', liftProfile: 'coa' }, problems: extra.problems ?? [], notice: extra.notice })
  }

  async function editPage(request: FastifyRequest, reply: FastifyReply, id: number, extra: { form?: Form; problems?: string[]; notice?: string; test?: unknown }) {
    const row = await findNasClient(deps.db, id)
    if (row === undefined) {
      reply.code(404)
      return renderConsole(request, reply, 'nas-edit.eta', { title: 'NAS client', nas: null, profiles, form: {}, problems: ['No such NAS client'], test: null })
    }
    const nas = nasClientView(row)
    return renderConsole(request, reply, 'nas-edit.eta', { title: `NAS ${nas.name}`, nas, profiles, form: extra.form ?? formOf(nas), problems: extra.problems ?? [], notice: extra.notice, test: extra.test ?? null })
  }

  area.get('/console/nas', { config: { permission: 'nas:read' }, schema: { querystring: { type: 'object', properties: { done: { type: 'string', maxLength: 80 } } } } }, async (request, reply) => {
    const done = (request.query as { done?: string }).done
    return listPage(request, reply, { notice: done ? `NAS client ${done}.` : undefined })
  })

  area.post('/console/nas', { config: { permission: 'nas:write' }, schema: { body: FORM } }, async (request, reply) => {
    const form = request.body as Form
    try {
      const nas = await createNas(deps.db, nasInput(form), { ...auditContext(request), reason: form.reason || null })
      return reply.code(303).header('location', `/console/nas/${nas.id}?done=added`).send()
    } catch (err) {
      reply.code(400)
      return listPage(request, reply, { form: { ...form, secret: '' }, problems: problemsOf(err) })
    }
  })

  area.get('/console/nas/:id', { config: { permission: 'nas:read' }, schema: { params: ID, querystring: { type: 'object', properties: { done: { type: 'string', maxLength: 80 } } } } }, async (request, reply) => {
    const done = (request.query as { done?: string }).done
    return editPage(request, reply, (request.params as { id: number }).id, { notice: done ? `NAS client ${done}.` : undefined })
  })

  area.post('/console/nas/:id', { config: { permission: 'nas:write' }, schema: { params: ID, body: FORM } }, async (request, reply) => {
    const { id } = request.params as { id: number }
    const form = request.body as Form
    try {
      const nas = await updateNas(deps.db, id, nasInput(form), { ...auditContext(request), reason: form.reason || null })
      if (nas === undefined) return editPage(request, reply.code(404), id, {})
      return reply.code(303).header('location', `/console/nas/${id}?done=saved`).send()
    } catch (err) {
      reply.code(400)
      return editPage(request, reply, id, { form: { ...form, secret: '' }, problems: problemsOf(err) })
    }
  })

  area.post('/console/nas/:id/delete', { config: { permission: 'nas:write' }, schema: { params: ID, body: FORM } }, async (request, reply) => {
    const { id } = request.params as { id: number }
    const form = request.body as Form
    const removed = await removeNas(deps.db, id, { ...auditContext(request), reason: form.reason || null })
    return reply.code(303).header('location', `/console/nas?done=${encodeURIComponent(removed === undefined ? 'was already gone' : `${removed.name} removed`)}`).send()
  })

  area.post('/console/nas/:id/test-coa', { config: { permission: 'nas:write' }, schema: { params: ID, body: FORM } }, async (request, reply) => {
    const { id } = request.params as { id: number }
    const form = request.body as Form
    if (!form.acctSessionId) return editPage(request, reply.code(400), id, { problems: ['Give the Acct-Session-Id of a session on this NAS'] })
    const target = { acctSessionId: form.acctSessionId, framedIp: form.framedIp || undefined, msisdn: form.msisdn || undefined, disconnect: form.disconnect === 'on' }
    const test = await testCoa(deps.db, id, target, { ...auditContext(request), reason: form.reason || null }, deps.testCoaSchedule)
    if (test === undefined) return editPage(request, reply.code(404), id, {})
    return editPage(request, reply, id, { test })
  })
}
