// Card/wallet recharge through the hosted provider: POST /recharge/card creates the order and
// sends the subscriber to the provider's page; GET /recharge/:id/return is where the provider
// sends them back — it only triggers a status check, it never means "paid"; POST /webhooks/psp
// takes the provider's signed notification (raw body, HMAC, 300 s tolerance, amount/currency/
// merchant checked) and settles from a re-query.
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { Counter, type Registry } from 'prom-client'
import { settleCardPayment, startCardPayment } from '../../adapters/payment/card-payment.ts'
import type { HostedPsp } from '../../adapters/payment/hosted-psp.ts'
import type { Keys } from '../../config/keys.ts'
import type { PortalConfig } from '../../config/portal-config.ts'
import { createAttempt, findAttempt, findAttemptByOrder } from '../../db/attempts.ts'
import type { Database } from '../../db/schema.ts'
import type { CreditMode } from '../../db/credit-attempt.ts'
import type { Identifier } from '../../identification/identify.ts'
import { messages, pickLanguage } from '../portal/i18n.ts'
import { continueSubject, verifiedContinueUrl } from '../walled-garden/continue-url.ts'
import { problemPage } from './problem-page.ts'
import { lineToRecharge, readRechargeForm } from './recharge-form.ts'
import { contentSecurityPolicy } from '../plugins/security-headers.ts'
import { perAddressLimit } from '../rate-limit.ts'

/** What the card routes need. */
export interface CardPaymentDeps {
  db: Kysely<Database>
  psp: HostedPsp
  notifyUrl: string
  /** The portal settings in force (operator settings change them live). */
  portal: () => PortalConfig
  keys: Keys
  identifier: Identifier
  countryCode: string
  registry: Registry
  nudgeJobs: () => void
  creditMode: CreditMode
}

const ATTEMPT_ID = /^[A-Za-z0-9_-]{22}$/

/** Register the card payment routes. */
export function cardPaymentRoutes(app: FastifyInstance, deps: CardPaymentDeps): void {
  const webhooks = new Counter({
    name: 'gateway_psp_webhooks_total',
    help: 'Payment provider webhooks by outcome (rejected ones by reason)',
    labelNames: ['outcome'],
    registers: [deps.registry],
  })

  app.post('/recharge/card', { config: { rateLimit: perAddressLimit(20, 60_000) } }, async (request, reply) => {
    const portal = deps.portal()
    const { body, lang, t, facts, located, genuine } = readRechargeForm(request, deps.identifier, deps.keys.formToken, portal)
    if (!genuine) return problemPage(reply, 403, lang, t.formExpired, t)
    const amount = Number(body.amount)
    if (!portal.paymentMethods.includes('card') || !portal.amountsMinor.includes(amount)) return problemPage(reply, 400, lang, t.declinedOther, t)
    const who = await deps.identifier.identify(facts)
    const msisdn = lineToRecharge(who, body, deps.countryCode)
    if (msisdn === null) return problemPage(reply, 400, lang, t.badNumber, t)
    const attempt = await createAttempt(
      deps.db,
      {
        msisdn,
        method: 'card',
        amountMinor: amount,
        currency: portal.currency,
        sourceAddress: located.address,
        realm: located.realm,
        identifiedHow: who.identified ? who.how : 'entered',
        continueUrl: verifiedContinueUrl(deps.keys.continueUrl, body.continue, body.sig, continueSubject(deps.keys.redirectToken, facts, deps.identifier.locate)) ?? null,
      },
      { address: located.address, realm: located.realm, how: who.identified ? who.how : 'entered', amount },
    )
    const started = await startCardPayment(deps.db, deps.psp, attempt, {
      returnUrl: `${portal.url}/recharge/${attempt.id}/return?lang=${lang}`,
      notifyUrl: deps.notifyUrl,
    })
    if ('failed' in started) return reply.code(303).header('location', `/recharge/${attempt.id}?lang=${lang}`).send()
    request.log.info({ attempt: attempt.reference, msisdn, amount }, 'card payment started')
    // The form's redirect leaves for the provider: allow exactly that origin for this answer.
    reply.header('content-security-policy', contentSecurityPolicy([deps.psp.origin]))
    return reply.code(303).header('location', started.payUrl).send()
  })

  app.get('/recharge/:id/return', async (request, reply) => {
    const { id } = request.params as { id: string }
    const lang = pickLanguage((request.query as Record<string, unknown>).lang, request.headers['accept-language'])
    const t = messages(lang, deps.portal().texts[lang])
    const attempt = ATTEMPT_ID.test(id) ? await findAttempt(deps.db, id) : undefined
    if (attempt === undefined) return problemPage(reply, 404, lang, t.declinedOther, t)
    if (attempt.method === 'card' && attempt.providerOrderId !== null) {
      try {
        const outcome = await settleCardPayment(deps.db, deps.psp, attempt.id, 'return-url', deps.creditMode)
        if (outcome === 'credited' || outcome === 'paid') deps.nudgeJobs()
      } catch (err) {
        request.log.warn({ err: (err as Error).message, attempt: attempt.reference }, 'status check after return failed; the reconcile job will retry')
      }
    }
    return reply.code(303).header('location', `/recharge/${attempt.id}?lang=${lang}`).send()
  })

  // The webhook needs its exact bytes for the signature: parse JSON ourselves, in this scope only.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body))
    scope.post('/webhooks/psp', async (request, reply) => {
      const raw = request.body as Buffer
      const verified = deps.psp.verifyWebhook(raw, request.headers['x-psp-timestamp'], request.headers['x-psp-signature'])
      if (!verified.ok) {
        webhooks.inc({ outcome: verified.reason })
        request.log.warn({ reason: verified.reason }, 'payment webhook rejected')
        return reply.code(verified.reason === 'malformed' ? 400 : 401).send({ error: verified.reason })
      }
      const orderId = verified.body.order_id
      const attempt = typeof orderId === 'string' ? await findAttemptByOrder(deps.db, orderId) : undefined
      if (attempt === undefined) {
        webhooks.inc({ outcome: 'unknown_order' })
        return reply.code(200).send({ ok: true })
      }
      const b = verified.body
      if (b.amount !== attempt.amountMinor || b.currency !== attempt.currency || b.merchant_id !== deps.psp.merchantId || b.reference !== attempt.id) {
        webhooks.inc({ outcome: 'mismatch' })
        request.log.warn({ attempt: attempt.reference }, 'payment webhook does not match its attempt')
        return reply.code(400).send({ error: 'mismatch' })
      }
      const outcome = await settleCardPayment(deps.db, deps.psp, attempt.id, 'webhook', deps.creditMode)
      webhooks.inc({ outcome })
      if (outcome === 'credited' || outcome === 'paid') deps.nudgeJobs()
      return reply.code(200).send({ ok: true, outcome })
    })
  })
}
