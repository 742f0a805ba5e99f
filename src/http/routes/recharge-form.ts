// What every recharge form POST starts with: the body, the language, the network facts (with the
// redirect token the form carried), the client address, and whether the anti-forgery token holds.
import type { FastifyRequest } from 'fastify'
import type { HmacKey } from '../../config/keys.ts'
import type { PortalConfig } from '../../config/portal-config.ts'
import type { Identification, Identifier, RequestFacts } from '../../identification/identify.ts'
import { normaliseMsisdn } from '../../identification/msisdn.ts'
import { checkFormToken } from '../portal/form-token.ts'
import { type Lang, messages, type Messages, pickLanguage } from '../portal/i18n.ts'
import { requestFacts } from '../request-facts.ts'

/** A submitted recharge form, read. */
export interface RechargeForm {
  body: Record<string, unknown>
  lang: Lang
  t: Messages
  facts: RequestFacts
  located: { address: string; realm: string }
  /** The form's anti-forgery token was issued to this address and has not expired. */
  genuine: boolean
}

/** Read a recharge form POST (`portal`: the settings in force, for the texts). */
export function readRechargeForm(request: FastifyRequest, identifier: Identifier, formKey: HmacKey, portal: PortalConfig): RechargeForm {
  const body = (request.body ?? {}) as Record<string, unknown>
  const lang = pickLanguage(body.lang, request.headers['accept-language'])
  const facts = { ...requestFacts(request), redirectToken: typeof body.rt === 'string' ? body.rt : undefined }
  const located = identifier.locate(facts)
  return { body, lang, t: messages(lang, portal.texts[lang]), facts, located, genuine: checkFormToken(formKey, located.address, body.ft) }
}

/** The line to recharge: the identified one, else the number an unidentified visitor typed (null if invalid). */
export function lineToRecharge(who: Identification, body: Record<string, unknown>, countryCode: string): string | null {
  if (who.identified) return who.msisdn
  return typeof body.msisdn === 'string' ? normaliseMsisdn(body.msisdn, countryCode) : null
}
