// /api/v1/settings, /api/v1/allowlist and /api/v1/config: operator settings (stored and in force,
// including the RFC 8910 URI), the walled-garden allowlist, and the YAML configuration file.
import type { FastifyInstance } from 'fastify'
import type { AllowlistPart } from '../../settings/allowlist.ts'
import { importConfig, updateSettings } from '../../settings/operator-actions.ts'
import { currentAllowlist, sendAllowlist, sendConfigYaml } from '../console/config.ts'
import type { OperatorDeps } from '../console/operator-deps.ts'
import { auditContext } from '../staff/staff-context.ts'
import { ERROR_SCHEMA } from './schemas.ts'

const LIST = { type: 'array', items: { type: 'string' } } as const
const TEXTS = { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } } as const

/** Settings as stored (every key optional; null in a PATCH means "back to the environment default"). */
const STORED = {
  type: 'object',
  properties: {
    trustedProxies: LIST, enrichmentHeaders: LIST, currency: { type: 'string' }, amounts: LIST, paymentMethods: LIST,
    ussd: { type: 'string' }, smsNumber: { type: 'string' }, smsText: { type: 'string' }, hotline: { type: 'string' },
    texts: TEXTS, captiveApiUrl: { type: 'string' },
  },
} as const

const IN_FORCE = {
  type: 'object',
  properties: {
    trustedProxies: LIST, enrichmentHeaders: LIST, currency: { type: 'string' }, amounts: LIST, paymentMethods: LIST,
    ussd: { type: 'string' }, smsNumber: { type: 'string' }, smsText: { type: 'string' }, hotline: { type: 'string' },
    texts: TEXTS, captiveApiUrl: { type: 'string', description: 'the RFC 8908 API URL to advertise with RFC 8910 (DHCP option 114, RA option 37)' },
  },
} as const

const SUMMARY = {
  type: 'object',
  properties: {
    dryRun: { type: 'boolean' },
    settingsSet: LIST, settingsCleared: LIST, nasAdded: LIST, nasChanged: LIST, nasRemoved: LIST, secretsChanged: LIST,
  },
} as const

/** Register the settings, allowlist and config API routes. */
export function settingsApiRoutes(area: FastifyInstance, deps: OperatorDeps): void {
  function settingsAnswer() {
    const live = deps.settings.current()
    const p = live.portal
    return {
      revision: live.revision,
      stored: live.stored,
      inForce: {
        trustedProxies: live.identification.trustedProxies, enrichmentHeaders: live.identification.enrichmentHeaders,
        currency: p.currency, amounts: p.amountsMinor.map((m) => (m / 100).toFixed(2)), paymentMethods: p.paymentMethods,
        ussd: p.offline.ussd, smsNumber: p.offline.smsNumber, smsText: p.offline.smsText, hotline: p.offline.hotline,
        texts: p.texts, captiveApiUrl: live.captiveApiUrl,
      },
    }
  }
  const ANSWER = { type: 'object', properties: { revision: { type: 'integer' }, stored: STORED, inForce: IN_FORCE } } as const

  area.get('/api/v1/settings', { config: { permission: 'settings:read' }, schema: { tags: ['settings'], summary: 'Settings held in the database, and those in force (environment defaults filled in)', response: { 200: ANSWER } } }, async () => settingsAnswer())

  area.patch('/api/v1/settings', {
    config: { permission: 'settings:write' },
    schema: {
      tags: ['settings'],
      summary: 'Change some settings (null: back to the environment default); every instance uses them within a second',
      body: { type: 'object', required: ['settings'], additionalProperties: false, properties: { settings: { type: 'object', additionalProperties: true }, reason: { type: 'string', maxLength: 500 } } },
      response: { 200: ANSWER, 400: ERROR_SCHEMA },
    },
  }, async (request) => {
    const body = request.body as { settings: Record<string, unknown>; reason?: string }
    await updateSettings(deps.db, body.settings, deps.settings.context, { ...auditContext(request), reason: body.reason ?? null })
    await deps.settings.check()
    return settingsAnswer()
  })

  area.get('/api/v1/allowlist', { config: { permission: 'settings:read' }, schema: { tags: ['settings'], summary: 'The walled-garden allowlist (portal, RFC 8908 API and payment hosts with their addresses) as JSON', response: { 200: { description: 'application/json', type: 'string' } } } }, async (_request, reply) =>
    sendAllowlist(reply, await currentAllowlist(deps), 'json'),
  )
  area.get('/api/v1/allowlist.txt', {
    config: { permission: 'settings:read' },
    schema: { tags: ['settings'], summary: 'The allowlist as plain text, one item a line (only=hosts|addresses for loaders)', querystring: { type: 'object', properties: { only: { type: 'string', enum: ['all', 'hosts', 'addresses'], default: 'all' } } }, response: { 200: { description: 'text/plain', type: 'string' } } },
  }, async (request, reply) => sendAllowlist(reply, await currentAllowlist(deps), 'txt', (request.query as { only: AllowlistPart }).only))

  area.get('/api/v1/config', { config: { permission: 'settings:read' }, schema: { tags: ['settings'], summary: 'Settings and NAS clients as one YAML file (shared secrets left out)', response: { 200: { description: 'application/yaml', type: 'string' } } } }, async (_request, reply) =>
    sendConfigYaml(deps, reply),
  )

  // The import takes the YAML file itself as the body.
  void area.register(async (scope) => {
    scope.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, body, done) => done(null, body))
    scope.post('/api/v1/config', {
      config: { permission: 'settings:write' },
      schema: {
        tags: ['settings'],
        summary: 'Import a YAML configuration: validated in full (every problem, nothing applied), then applied atomically',
        querystring: { type: 'object', additionalProperties: false, properties: { dryRun: { type: 'boolean', default: false }, reason: { type: 'string', maxLength: 500 } } },
        response: { 200: SUMMARY, 400: ERROR_SCHEMA },
      },
    }, async (request) => {
      const query = request.query as { dryRun: boolean; reason?: string }
      const { summary, dryRun } = await importConfig(deps.db, String(request.body ?? ''), deps.settings.context, { ...auditContext(request), reason: query.reason ?? null }, { dryRun: query.dryRun })
      if (!dryRun) await deps.settings.check()
      return { dryRun, ...summary }
    })
  })
}
