// What the recharge-guide page shows, decided from identification and billing alone (no
// framework here): one of suspended-arrears, suspended-other, active, unknown line, unidentified
// or degraded, plus the forms and the offline ways that every variant offers.
import type { PortalConfig } from '../../config/portal-config.ts'
import type { Identification } from '../../identification/identify.ts'
import { maskMsisdn } from '../../logging/mask-msisdn.ts'
import { type Account, restoreNeed } from '../../recharge/ports.ts'
import { fill, formatMoney, type Lang, messages, type Messages } from './i18n.ts'

/** The page's state. */
export type PortalState = 'arrears' | 'other-reason' | 'active' | 'unknown-line' | 'unidentified' | 'degraded'

/** Everything the template renders. */
export interface PortalView {
  lang: Lang
  t: Messages
  state: PortalState
  heading: string
  lines: string[]
  showForms: boolean
  askNumber: boolean
  amounts: { minor: number; label: string; enough: boolean }[]
  methods: { voucher: boolean; card: boolean }
  offline: string[]
  continueUrl: string | undefined
  continueLabel: string | undefined
  /** Hidden fields every form carries. */
  hidden: Record<string, string>
  switchHref: string
}

/** Inputs of the view. */
export interface PortalViewInput {
  lang: Lang
  portal: PortalConfig
  who: Identification | null
  account: Account | null
  continueUrl: string | undefined
  hidden: Record<string, string>
  query: Record<string, string>
}

/** What every page of one language shares under one portal configuration. */
interface SharedTexts {
  t: Messages
  offline: readonly string[]
  methods: { readonly voucher: boolean; readonly card: boolean }
  /** "Pay …" button labels by currency, in amountsMinor's order. */
  payLabels: Map<string, readonly string[]>
}

// Settings hand out the same PortalConfig object until they change: texts are filled once per
// configuration and language, not on every page.
const sharedByPortal = new WeakMap<PortalConfig, Partial<Record<Lang, SharedTexts>>>()

function sharedTexts(portal: PortalConfig, lang: Lang): SharedTexts {
  let byLang = sharedByPortal.get(portal)
  if (byLang === undefined) sharedByPortal.set(portal, (byLang = {}))
  let shared = byLang[lang]
  if (shared === undefined) {
    const t = messages(lang, portal.texts[lang])
    const o = portal.offline
    shared = {
      t,
      offline: Object.freeze([fill(t.ussd, { ussd: o.ussd }), fill(t.sms, { text: o.smsText, number: o.smsNumber }), fill(t.hotline, { hotline: o.hotline })]),
      methods: Object.freeze({ voucher: portal.paymentMethods.includes('voucher'), card: portal.paymentMethods.includes('card') }),
      payLabels: new Map(),
    }
    byLang[lang] = shared
  }
  return shared
}

function payLabels(shared: SharedTexts, portal: PortalConfig, lang: Lang, currency: string): readonly string[] {
  let labels = shared.payLabels.get(currency)
  if (labels === undefined) {
    labels = Object.freeze(portal.amountsMinor.map((minor) => fill(shared.t.pay, { amount: formatMoney(minor, currency, lang) })))
    shared.payLabels.set(currency, labels)
  }
  return labels
}

/** Build the page's view model. */
export function portalView(input: PortalViewInput): PortalView {
  const { lang, portal, who, account } = input
  const shared = sharedTexts(portal, lang)
  const t = shared.t
  const currency = account?.currency ?? portal.currency
  const money = (minor: number) => formatMoney(minor, currency, lang)
  const other = new URLSearchParams({ ...input.query, lang: lang === 'en' ? 'zh-CN' : 'en' })
  const base = {
    lang,
    t,
    offline: shared.offline as string[],
    continueUrl: input.continueUrl,
    continueLabel: input.continueUrl === undefined ? undefined : fill(t.continue, { url: input.continueUrl }),
    hidden: { ...input.hidden, lang },
    switchHref: `/portal?${other.toString()}`,
    methods: shared.methods,
  }
  const amounts = (neededMinor: number) => {
    const labels = payLabels(shared, portal, lang, currency)
    return portal.amountsMinor.map((minor, i) => ({ minor, label: labels[i]!, enough: neededMinor > 0 && minor >= neededMinor }))
  }

  if (who === null) return { ...base, state: 'degraded', heading: t.suspendedHeading, lines: [t.degraded], showForms: false, askNumber: false, amounts: [] }
  if (!who.identified) {
    return { ...base, state: 'unidentified', heading: t.title, lines: [t.unidentified], showForms: true, askNumber: true, amounts: amounts(0) }
  }
  const line = maskMsisdn(who.msisdn)
  if (account === null) {
    return { ...base, state: 'unknown-line', heading: t.title, lines: [fill(t.unknownLine, { line })], showForms: false, askNumber: false, amounts: [] }
  }
  if (account.status === 'active') {
    return { ...base, state: 'active', heading: t.activeHeading, lines: [fill(t.active, { line })], showForms: false, askNumber: false, amounts: [] }
  }
  const need = restoreNeed(account)
  if (!need.restorable) {
    const reason = t.reasons[account.suspensionReason ?? 'other']
    return {
      ...base,
      state: 'other-reason',
      heading: t.suspendedHeading,
      lines: [fill(t.otherReason, { line, reason, hotline: portal.offline.hotline })],
      showForms: false,
      askNumber: false,
      amounts: [],
    }
  }
  return {
    ...base,
    state: 'arrears',
    heading: t.suspendedHeading,
    lines: [fill(t.arrears, { line, balance: money(account.balanceMinor) }), fill(t.need, { need: money(need.neededMinor) })],
    showForms: true,
    askNumber: false,
    amounts: amounts(need.neededMinor),
  }
}
