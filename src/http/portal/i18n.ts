// The portal's two languages. The choice comes from ?lang= (a link on every page, no cookie
// needed) or else Accept-Language; Chinese is the default for anything Chinese.

/** Supported languages. */
export type Lang = 'zh-CN' | 'en'

// Browsers send a handful of distinct Accept-Language values: each (of browser size) is ranked
// once; the memo is bounded in entries and entry size.
const byHeader = new Map<string, Lang>()

/** Pick the page language. */
export function pickLanguage(explicit: unknown, acceptLanguage: string | undefined): Lang {
  if (explicit === 'en' || explicit === 'zh-CN') return explicit
  if (acceptLanguage === undefined || acceptLanguage === '') return 'zh-CN'
  if (acceptLanguage.length > 200) return rankLanguage(acceptLanguage)
  let lang = byHeader.get(acceptLanguage)
  if (lang === undefined) {
    lang = rankLanguage(acceptLanguage)
    if (byHeader.size >= 1000) byHeader.clear()
    byHeader.set(acceptLanguage, lang)
  }
  return lang
}

function rankLanguage(acceptLanguage: string): Lang {
  const ranked = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';')
      const q = params.map((p) => /^q=([\d.]+)$/.exec(p.trim())?.[1]).find((v) => v !== undefined)
      return { tag: tag ?? '', q: q === undefined ? 1 : Number(q) }
    })
    .filter((entry) => entry.tag !== '' && entry.q > 0)
    .sort((a, b) => b.q - a.q)
  for (const { tag } of ranked) {
    if (tag.startsWith('zh')) return 'zh-CN'
    if (tag.startsWith('en')) return 'en'
  }
  return 'zh-CN'
}

/** Money for display: 1000 → "10.00 CNY" / "¥10.00". */
export function formatMoney(minor: number, currency: string, lang: Lang): string {
  const sign = minor < 0 ? '-' : ''
  const amount = (Math.abs(minor) / 100).toFixed(2)
  if (currency === 'CNY') return lang === 'zh-CN' ? `${sign}${amount} 元` : `${sign}¥${amount}`
  return `${sign}${amount} ${currency}`
}

const en = {
  title: 'Recharge your line',
  suspendedHeading: 'Your mobile service is paused',
  arrears: 'Line {line} is suspended because the balance is {balance}.',
  need: 'Recharge at least {need} to restore service.',
  otherReason: 'Line {line} is suspended ({reason}). A recharge will not restore it: please call {hotline}.',
  activeHeading: 'Your line is active',
  active: 'Line {line} is not suspended. You can browse normally.',
  continue: 'Continue to {url}',
  unknownLine: 'We could not find the account of line {line}. You can still recharge it by another way below.',
  unidentified: 'We could not recognise your line automatically. Enter the number you want to recharge.',
  number: 'Mobile number',
  voucherHeading: 'Recharge card',
  serial: 'Card serial number',
  pin: 'Card PIN',
  submitVoucher: 'Recharge with card',
  cardHeading: 'Pay by bank card or wallet',
  pay: 'Pay {amount}',
  enough: 'restores service',
  otherWays: 'Other ways to recharge',
  ussd: 'Dial {ussd}',
  sms: 'Text {text} to {number}',
  hotline: 'Call {hotline}',
  degraded: 'We cannot check your line right now. You can still recharge:',
  language: '中文',
  statusTitle: 'Your recharge',
  reference: 'Reference: {reference}',
  progress: 'We are processing your recharge. This page refreshes by itself.',
  restored: 'Service restored. You can browse again.',
  creditedShort: 'We added {amount} to line {line}. {short} more is needed to restore service.',
  creditedActive: 'We added {amount} to line {line}.',
  declinedInvalid: 'The card serial number or PIN is not right. Please check the card and try again.',
  declinedUsed: 'This card has already been used.',
  declinedExpired: 'This card has expired.',
  declinedLocked: 'Too many wrong PINs. Please wait 15 minutes or use another way to recharge.',
  declinedOther: 'This recharge could not be completed. Nothing was charged.',
  failed: 'Your payment is safe and your balance was credited, but restoring service is taking longer. Our team has been alerted; if it is not restored within 30 minutes call {hotline} with reference {reference}.',
  tryAgain: 'Back to the recharge page',
  formExpired: 'This page has expired. Please open the recharge page again.',
  badInput: 'Please enter the card serial number and PIN as printed on the card.',
  badNumber: 'Please enter a valid mobile number.',
  reasons: { fraud: 'security check', administrative: 'administrative', other: 'other', arrears: 'unpaid balance' },
}

const zh: typeof en = {
  title: '话费充值',
  suspendedHeading: '您的号码已停机',
  arrears: '号码 {line} 因欠费停机，当前余额 {balance}。',
  need: '至少充值 {need} 即可恢复服务。',
  otherReason: '号码 {line} 已停机（{reason}），充值无法恢复，请拨打 {hotline}。',
  activeHeading: '您的号码状态正常',
  active: '号码 {line} 未停机，可以正常上网。',
  continue: '继续访问 {url}',
  unknownLine: '未找到号码 {line} 的账户，您仍可通过下方其他方式充值。',
  unidentified: '无法自动识别您的号码，请输入要充值的手机号码。',
  number: '手机号码',
  voucherHeading: '充值卡',
  serial: '充值卡序列号',
  pin: '充值卡密码',
  submitVoucher: '使用充值卡充值',
  cardHeading: '银行卡或钱包支付',
  pay: '支付 {amount}',
  enough: '可恢复服务',
  otherWays: '其他充值方式',
  ussd: '拨打 {ussd}',
  sms: '发送 {text} 到 {number}',
  hotline: '致电 {hotline}',
  degraded: '暂时无法查询您的号码，您仍可以通过以下方式充值：',
  language: 'English',
  statusTitle: '充值进度',
  reference: '业务编号：{reference}',
  progress: '正在处理您的充值，本页面会自动刷新。',
  restored: '服务已恢复，您可以继续上网。',
  creditedShort: '已为号码 {line} 充值 {amount}，还需 {short} 才能恢复服务。',
  creditedActive: '已为号码 {line} 充值 {amount}。',
  declinedInvalid: '充值卡序列号或密码不正确，请核对后重试。',
  declinedUsed: '该充值卡已被使用。',
  declinedExpired: '该充值卡已过期。',
  declinedLocked: '密码错误次数过多，请 15 分钟后再试或使用其他方式充值。',
  declinedOther: '本次充值未能完成，未产生扣费。',
  failed: '您的充值已到账，但恢复服务耗时较长，我们已通知工作人员。如 30 分钟内仍未恢复，请致电 {hotline} 并提供业务编号 {reference}。',
  tryAgain: '返回充值页面',
  formExpired: '页面已过期，请重新打开充值页面。',
  badInput: '请按充值卡上的内容输入序列号和密码。',
  badNumber: '请输入正确的手机号码。',
  reasons: { fraud: '安全核查', administrative: '管理原因', other: '其他原因', arrears: '欠费' },
}

/** The messages of a language. */
export type Messages = typeof en

/** Operator overrides of one language's texts (string messages only), by message key. */
export type TextOverrides = Readonly<Record<string, string>>

/** The keys an operator may override: every message that is a plain text. */
export const TEXT_KEYS: readonly string[] = Object.keys(en).filter((key) => typeof en[key as keyof Messages] === 'string')

const merged = new WeakMap<TextOverrides, Messages>()

/** Messages for `lang`, with the operator's `overrides` (settings) laid over the built-in texts. */
export function messages(lang: Lang, overrides?: TextOverrides): Messages {
  const builtIn = lang === 'en' ? en : zh
  if (overrides === undefined || Object.keys(overrides).length === 0) return builtIn
  let result = merged.get(overrides)
  if (result === undefined) {
    result = { ...builtIn }
    for (const key of TEXT_KEYS) {
      const text = overrides[key]
      if (text !== undefined) (result as Record<string, unknown>)[key] = text
    }
    merged.set(overrides, result)
  }
  return result
}

/** The built-in text of `key` in `lang` (what an override replaces). */
export function builtInText(lang: Lang, key: string): string | undefined {
  const text = (lang === 'en' ? en : zh)[key as keyof Messages]
  return typeof text === 'string' ? text : undefined
}

/** Fill {name} placeholders. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? '')
}
