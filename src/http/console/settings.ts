// The console's settings pages: identification (trusted proxies, enrichment headers), amounts,
// currency, payment methods, the offline ways, the RFC 8910 URI, and the portal texts in zh-CN and
// en. Each field shows what is in force and the environment's default; an empty field goes back
// to that default. A change reaches every instance within a second and is audited.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { builtInText, TEXT_KEYS } from '../portal/i18n.ts'
import { AppError } from '../../errors.ts'
import { resolveSettings } from '../../settings/live-settings.ts'
import { ConfigInvalidError, updateSettings } from '../../settings/operator-actions.ts'
import { TEXT_LANGS } from '../../settings/settings-schema.ts'
import { renderConsole } from '../staff/console-page.ts'
import { auditContext } from '../staff/staff-context.ts'
import type { OperatorDeps } from './operator-deps.ts'

type Form = Record<string, string | undefined>

const FORM = { type: 'object', additionalProperties: { type: 'string', maxLength: 8000 } } as const
const LISTS = ['trustedProxies', 'enrichmentHeaders', 'amounts', 'paymentMethods'] as const
const TEXTS = ['currency', 'ussd', 'smsNumber', 'smsText', 'hotline', 'captiveApiUrl'] as const

/** Labels of the fields, in page order. */
const FIELDS: { key: (typeof LISTS)[number] | (typeof TEXTS)[number]; label: string }[] = [
  { key: 'trustedProxies', label: 'Trusted proxy addresses/CIDRs (comma or line separated)' },
  { key: 'enrichmentHeaders', label: 'Enrichment header names (MSISDN from a trusted proxy)' },
  { key: 'currency', label: 'Currency (ISO 4217)' },
  { key: 'amounts', label: 'Amounts (major units, comma separated)' },
  { key: 'paymentMethods', label: 'Payment methods (voucher, card)' },
  { key: 'ussd', label: 'USSD code' },
  { key: 'smsNumber', label: 'SMS number' },
  { key: 'smsText', label: 'SMS text' },
  { key: 'hotline', label: 'Hotline' },
  { key: 'captiveApiUrl', label: 'RFC 8908 API URL advertised with RFC 8910 (DHCP option 114, RA option 37)' },
]

const split = (text: string) => text.split(/[\s,]+/).filter((item) => item !== '')

function problemsOf(err: unknown): string[] {
  if (err instanceof ConfigInvalidError) return err.problems.map((p) => `${p.path.replace(/^settings\./, '')}: ${p.message}`)
  if (err instanceof AppError && err.status < 500) return [err.message]
  throw err
}

/** Register the settings pages. */
export function settingsConsoleRoutes(area: FastifyInstance, deps: OperatorDeps): void {
  function fieldsView() {
    const live = deps.settings.current()
    const base = resolveSettings(deps.settings.base, {}, 0)
    const shown = (s: typeof live): Record<string, string> => ({
      trustedProxies: s.identification.trustedProxies.join(', '),
      enrichmentHeaders: s.identification.enrichmentHeaders.join(', '),
      currency: s.portal.currency,
      amounts: s.portal.amountsMinor.map((m) => (m / 100).toFixed(2)).join(', '),
      paymentMethods: s.portal.paymentMethods.join(', '),
      ussd: s.portal.offline.ussd,
      smsNumber: s.portal.offline.smsNumber,
      smsText: s.portal.offline.smsText,
      hotline: s.portal.offline.hotline,
      captiveApiUrl: s.captiveApiUrl,
    })
    const inForce = shown(live)
    const envDefault = shown(base)
    return FIELDS.map((f) => ({ ...f, stored: live.stored[f.key] !== undefined, inForce: inForce[f.key], envDefault: envDefault[f.key] }))
  }

  function page(request: FastifyRequest, reply: FastifyReply, extra: { form?: Form; problems?: string[]; notice?: string }) {
    const live = deps.settings.current()
    const fields = fieldsView()
    const form = extra.form ?? Object.fromEntries(fields.map((f) => [f.key, f.stored ? f.inForce : '']))
    return renderConsole(request, reply, 'settings.eta', { title: 'Settings', fields, form, revision: live.revision, problems: extra.problems ?? [], notice: extra.notice })
  }

  area.get('/console/settings', { config: { permission: 'settings:read' }, schema: { querystring: { type: 'object', properties: { done: { type: 'string', maxLength: 40 } } } } }, async (request, reply) =>
    page(request, reply, { notice: (request.query as { done?: string }).done ? 'Settings saved; every instance uses them within a second.' : undefined }),
  )

  area.post('/console/settings', { config: { permission: 'settings:write' }, schema: { body: FORM } }, async (request, reply) => {
    const form = request.body as Form
    const changes: Record<string, unknown> = {}
    for (const key of LISTS) changes[key] = form[key]?.trim() ? split(form[key]!) : null
    for (const key of TEXTS) changes[key] = form[key]?.trim() ? form[key]!.trim() : null
    try {
      await updateSettings(deps.db, changes, deps.settings.context, { ...auditContext(request), reason: form.reason || null })
      await deps.settings.check()
      return reply.code(303).header('location', '/console/settings?done=saved').send()
    } catch (err) {
      reply.code(400)
      return page(request, reply, { form, problems: problemsOf(err) })
    }
  })

  function textsPage(request: FastifyRequest, reply: FastifyReply, extra: { values?: Form; problems?: string[]; notice?: string }) {
    const stored = deps.settings.current().stored.texts ?? {}
    const langs = TEXT_LANGS.map((lang) => ({
      lang,
      keys: TEXT_KEYS.map((key) => ({ key, field: `${lang}.${key}`, builtIn: builtInText(lang, key) ?? '', value: extra.values?.[`${lang}.${key}`] ?? stored[lang]?.[key] ?? '' })),
    }))
    return renderConsole(request, reply, 'settings-texts.eta', { title: 'Portal texts', langs, problems: extra.problems ?? [], notice: extra.notice })
  }

  area.get('/console/settings/texts', { config: { permission: 'settings:read' }, schema: { querystring: { type: 'object', properties: { done: { type: 'string', maxLength: 40 } } } } }, async (request, reply) =>
    textsPage(request, reply, { notice: (request.query as { done?: string }).done ? 'Texts saved.' : undefined }),
  )

  area.post('/console/settings/texts', { config: { permission: 'settings:write' }, schema: { body: FORM } }, async (request, reply) => {
    const form = request.body as Form
    const texts: Record<string, Record<string, string>> = {}
    for (const lang of TEXT_LANGS) {
      for (const key of TEXT_KEYS) {
        const value = form[`${lang}.${key}`]?.trim()
        if (value) (texts[lang] ??= {})[key] = value
      }
    }
    try {
      await updateSettings(deps.db, { texts: Object.keys(texts).length === 0 ? null : texts }, deps.settings.context, { ...auditContext(request), reason: form.reason || null })
      await deps.settings.check()
      return reply.code(303).header('location', '/console/settings/texts?done=saved').send()
    } catch (err) {
      reply.code(400)
      return textsPage(request, reply, { values: form, problems: problemsOf(err) })
    }
  })
}
