// The console's walled-garden allowlist (plain text and JSON, with how to load it into a BNG/PCEF)
// and the YAML configuration file: export (secrets left out) and import (validated in full, then
// applied atomically with its audit entry; a dry run shows what would change).
import type { FastifyInstance, FastifyReply } from 'fastify'
import { type Allowlist, type AllowlistPart, allowlistText, buildAllowlist } from '../../settings/allowlist.ts'
import { configYaml } from '../../settings/config-file.ts'
import { readConfigSnapshot } from '../../settings/config-snapshot.ts'
import { ConfigInvalidError, importConfig } from '../../settings/operator-actions.ts'
import { renderConsole } from '../staff/console-page.ts'
import { auditContext } from '../staff/staff-context.ts'
import type { OperatorDeps } from './operator-deps.ts'

/** The allowlist for the settings in force. */
export function currentAllowlist(deps: OperatorDeps): Promise<Allowlist> {
  const live = deps.settings.current()
  return buildAllowlist({ portalUrl: live.portal.url, ownHosts: live.portal.ownHosts, captiveApiUrl: live.captiveApiUrl, paymentUrl: deps.paymentUrl })
}

/** Send the allowlist as text (`part`) or JSON. */
export function sendAllowlist(reply: FastifyReply, list: Allowlist, format: 'txt' | 'json', part: AllowlistPart = 'all'): FastifyReply {
  reply.header('cache-control', 'no-store')
  if (format === 'json') return reply.type('application/json; charset=utf-8').send(JSON.stringify(list, null, 2))
  return reply.type('text/plain; charset=utf-8').send(allowlistText(list, part))
}

/** Send the configuration as a YAML download. */
export async function sendConfigYaml(deps: OperatorDeps, reply: FastifyReply): Promise<FastifyReply> {
  const yaml = configYaml(await readConfigSnapshot(deps.db, deps.settings.context))
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')
  return reply.header('content-disposition', `attachment; filename="recharge-gateway-config-${stamp}.yaml"`).header('cache-control', 'no-store').type('application/yaml; charset=utf-8').send(yaml)
}

const PART = { type: 'object', properties: { only: { type: 'string', enum: ['all', 'hosts', 'addresses'], default: 'all' } } } as const

/** Register the allowlist and configuration-file pages. */
export function configConsoleRoutes(area: FastifyInstance, deps: OperatorDeps): void {
  area.get('/console/allowlist', { config: { permission: 'settings:read' } }, async (request, reply) => {
    const list = await currentAllowlist(deps)
    return renderConsole(request, reply, 'allowlist.eta', { title: 'Walled-garden allowlist', list, text: allowlistText(list), captiveApiUrl: deps.settings.current().captiveApiUrl })
  })
  for (const format of ['txt', 'json'] as const) {
    area.get(`/console/allowlist.${format}`, { config: { permission: 'settings:read' }, schema: { querystring: PART } }, async (request, reply) =>
      sendAllowlist(reply, await currentAllowlist(deps), format, (request.query as { only: AllowlistPart }).only),
    )
  }

  area.get('/console/config', { config: { permission: 'settings:read' } }, async (request, reply) =>
    renderConsole(request, reply, 'config.eta', { title: 'Configuration file', yaml: '', problems: [], summary: null }),
  )
  area.get('/console/config.yaml', { config: { permission: 'settings:read' } }, async (_request, reply) => sendConfigYaml(deps, reply))

  area.post('/console/config/import', {
    config: { permission: 'settings:write' },
    schema: { body: { type: 'object', required: ['yaml'], properties: { yaml: { type: 'string', maxLength: 1_000_000 }, dryRun: { type: 'string' }, reason: { type: 'string', maxLength: 500 } } } },
  }, async (request, reply) => {
    const form = request.body as { yaml: string; dryRun?: string; reason?: string }
    try {
      const { summary, dryRun } = await importConfig(deps.db, form.yaml, deps.settings.context, { ...auditContext(request), reason: form.reason || null }, { dryRun: form.dryRun === 'on' })
      if (!dryRun) await deps.settings.check()
      return renderConsole(request, reply, 'config.eta', { title: 'Configuration file', yaml: dryRun ? form.yaml : '', problems: [], summary, dryRun, notice: dryRun ? 'Dry run: nothing was changed.' : 'Imported; every instance uses it within a second.' })
    } catch (err) {
      if (!(err instanceof ConfigInvalidError)) throw err
      reply.code(400)
      return renderConsole(request, reply, 'config.eta', { title: 'Configuration file', yaml: form.yaml, problems: err.problems, summary: null, problem: `${err.problems.length} problem(s); nothing was applied.` })
    }
  })
}
