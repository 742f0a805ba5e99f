// What the status page says for each state of an attempt. While work is under way it refreshes
// itself (meta refresh, no JavaScript). A number typed in by an unidentified visitor never gets
// its balance or status shown, only what this recharge did.
import type { PortalConfig } from '../../config/portal-config.ts'
import type { RechargeAttempt } from '../../db/schema.ts'
import { maskMsisdn } from '../../logging/mask-msisdn.ts'
import { IN_PROGRESS } from '../../recharge/attempt-states.ts'
import { type Account, restoreNeed } from '../../recharge/ports.ts'
import { fill, formatMoney, type Lang, messages, type Messages } from './i18n.ts'

/** The status page's view model. */
export interface AttemptStatusView {
  t: Messages
  lang: Lang
  heading: string
  lines: string[]
  refresh: number | undefined
  continueUrl: string | undefined
  continueLabel: string | undefined
  backHref: string | undefined
  referenceLine: string
}

/** Build the view of `attempt`. */
export function attemptStatusView(input: {
  lang: Lang
  attempt: RechargeAttempt
  events: { kind: string; detail: unknown }[]
  account: Account | null
  portal: PortalConfig
}): AttemptStatusView {
  const { lang, attempt, portal } = input
  const t = messages(lang, portal.texts[lang])
  const line = maskMsisdn(attempt.msisdn)
  const amount = attempt.amountMinor === null ? '' : formatMoney(attempt.amountMinor, attempt.currency ?? portal.currency, lang)
  const base = {
    t,
    lang,
    heading: t.statusTitle,
    refresh: undefined as number | undefined,
    continueUrl: undefined as string | undefined,
    continueLabel: undefined as string | undefined,
    backHref: undefined as string | undefined,
    referenceLine: fill(t.reference, { reference: attempt.reference }),
  }
  const credited = input.events.find((e) => e.kind === 'credited')?.detail as { restored?: boolean; status?: string } | undefined
  // Built-in ledger says restored: true; an OCS says the line's status after the credit.
  const waitingForNetwork = attempt.state === 'credited' && (credited?.restored === true || credited?.status === 'active')

  if ((IN_PROGRESS as readonly string[]).includes(attempt.state) || waitingForNetwork) return { ...base, lines: [t.progress], refresh: 3 }
  if (attempt.state === 'lifted' || attempt.state === 'confirmed') {
    const continueUrl = attempt.continueUrl ?? undefined
    return { ...base, lines: [t.restored], continueUrl, continueLabel: continueUrl === undefined ? undefined : fill(t.continue, { url: continueUrl }) }
  }
  if (attempt.state === 'credited') {
    const need = input.account === null ? null : restoreNeed(input.account)
    const entered = attempt.identifiedHow === 'entered'
    if (!entered && need !== null && need.restorable && need.neededMinor > 0) {
      const short = formatMoney(need.neededMinor, input.account!.currency, lang)
      return { ...base, lines: [fill(t.creditedShort, { amount, line, short })], backHref: `/portal?lang=${lang}` }
    }
    return { ...base, lines: [fill(t.creditedActive, { amount, line })] }
  }
  if (attempt.state === 'declined') {
    const reason = [...input.events].reverse().find((e) => e.kind === 'declined')?.detail as { reason?: string } | undefined
    const message =
      reason?.reason === 'invalid' ? t.declinedInvalid
      : reason?.reason === 'used' ? t.declinedUsed
      : reason?.reason === 'expired' ? t.declinedExpired
      : reason?.reason === 'locked-out' ? t.declinedLocked
      : t.declinedOther
    return { ...base, lines: [message], backHref: `/portal?lang=${lang}` }
  }
  if (attempt.state === 'failed') return { ...base, lines: [fill(t.failed, { hotline: portal.offline.hotline, reference: attempt.reference })] }
  return { ...base, lines: [t.declinedOther], backHref: `/portal?lang=${lang}` }
}
