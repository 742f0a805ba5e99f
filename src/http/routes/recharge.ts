// POST /recharge/voucher: pay with a scratch card; GET /recharge/:id: the attempt's progress,
// refreshing itself without JavaScript until the line is restored (or says what happens next).
import type { FastifyInstance } from 'fastify'
import { problemPage } from './problem-page.ts'
import { lineToRecharge, readRechargeForm } from './recharge-form.ts'
import type { Kysely } from 'kysely'
import { isLockedOut, lockoutSubjects, redeemVoucher } from '../../adapters/payment/voucher-payment.ts'
import type { Keys } from '../../config/keys.ts'
import type { PortalConfig } from '../../config/portal-config.ts'
import { attemptEvents, findAttempt } from '../../db/attempts.ts'
import type { Database } from '../../db/schema.ts'
import type { Identifier } from '../../identification/identify.ts'
import type { BillingPort } from '../../recharge/ports.ts'
import type { CreditMode } from '../../db/credit-attempt.ts'
import { messages, pickLanguage } from '../portal/i18n.ts'
import { continueSubject, verifiedContinueUrl } from '../walled-garden/continue-url.ts'
import { attemptStatusView } from '../portal/attempt-status-view.ts'
import { perAddressLimit } from '../rate-limit.ts'

/** What the recharge routes need. */
export interface RechargeDeps {
  db: Kysely<Database>
  /** The portal settings in force (operator settings change them live). */
  portal: () => PortalConfig
  keys: Keys
  identifier: Identifier
  billing: BillingPort
  countryCode: string
  /** Called after a credit that needs the network: the job worker looks for work at once. */
  nudgeJobs: () => void
  creditMode: CreditMode
}

const ATTEMPT_ID = /^[A-Za-z0-9_-]{22}$/

/** Register the recharge routes. */
export function rechargeRoutes(app: FastifyInstance, deps: RechargeDeps): void {
  app.post('/recharge/voucher', { config: { rateLimit: perAddressLimit(20, 60_000) } }, async (request, reply) => {
    const portal = deps.portal()
    const { body, lang, t, facts, located, genuine } = readRechargeForm(request, deps.identifier, deps.keys.formToken, portal)
    if (!genuine) return problemPage(reply, 403, lang, t.formExpired, t)
    if (!portal.paymentMethods.includes('voucher')) return problemPage(reply, 400, lang, t.declinedOther, t)
    const serial = String(body.serial ?? '').trim().toUpperCase()
    const pin = String(body.pin ?? '').replace(/[\s-]/g, '')
    if (!/^[0-9A-Z-]{4,40}$/.test(serial) || !/^\d{4,32}$/.test(pin)) return problemPage(reply, 400, lang, t.badInput, t)

    const who = await deps.identifier.identify(facts)
    const msisdn = lineToRecharge(who, body, deps.countryCode)
    if (msisdn === null) return problemPage(reply, 400, lang, t.badNumber, t)
    const subjects = lockoutSubjects(msisdn, located.address)
    if (await isLockedOut(deps.db, subjects)) return problemPage(reply, 429, lang, t.declinedLocked, t)

    const { attempt, outcome } = await redeemVoucher(deps.db, {
      attempt: {
        msisdn,
        sourceAddress: located.address,
        realm: located.realm,
        identifiedHow: who.identified ? who.how : 'entered',
        continueUrl: verifiedContinueUrl(deps.keys.continueUrl, body.continue, body.sig, continueSubject(deps.keys.redirectToken, facts, deps.identifier.locate)) ?? null,
      },
      createdDetail: { address: located.address, realm: located.realm, how: who.identified ? who.how : 'entered', serial },
      serial,
      pin,
      pinKey: deps.keys.voucherPin,
      subjects,
      creditMode: deps.creditMode,
      lockoutChecked: true,
    })
    request.log.info({ attempt: attempt.reference, outcome: outcome.kind, msisdn }, 'voucher recharge')
    if ((outcome.kind === 'credited' && outcome.restored) || outcome.kind === 'paid') deps.nudgeJobs()
    return reply.code(303).header('location', `/recharge/${attempt.id}?lang=${lang}`).send()
  })

  app.get('/recharge/:id', async (request, reply) => {
    const { id } = request.params as { id: string }
    const query = (request.query ?? {}) as Record<string, unknown>
    const lang = pickLanguage(query.lang, request.headers['accept-language'])
    const portal = deps.portal()
    const t = messages(lang, portal.texts[lang])
    const attempt = ATTEMPT_ID.test(id) ? await findAttempt(deps.db, id) : undefined
    if (attempt === undefined) return problemPage(reply, 404, lang, t.declinedOther, t)
    const events = await attemptEvents(deps.db, id)
    const account = attempt.state === 'credited' ? await deps.billing.getAccount(attempt.msisdn) : null
    const view = attemptStatusView({ lang, attempt, events, account, portal })
    reply.header('cache-control', 'private, no-store').type('text/html; charset=utf-8')
    return reply.viewAsync('recharge-status.eta', view)
  })
}
