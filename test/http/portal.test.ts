// GET /portal, the recharge-guide page, through the real app over one database: what each state
// shows (arrears, other reasons, active, unknown line, unidentified), the two languages, the
// anti-forgery token on every form, and the page budget (compressed, under 14 KB, no script,
// no third-party URL, labelled inputs). The degraded page (database gone) is tested in
// walled-garden.test.ts, whose app runs over a closed database.
import { randomBytes } from 'node:crypto'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/schema.ts'
import { checkFormToken } from '../../src/http/portal/form-token.ts'
import { continueParams } from '../../src/http/walled-garden/continue-url.ts'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

const PORTAL_HOST = 'portal.carrier.test'
const ENV = {
  PORTAL_URL: `http://${PORTAL_HOST}`,
  RECHARGE_AMOUNTS: '20,50,65.50,100',
  PAYMENT_METHODS: 'voucher,card',
  RECHARGE_USSD: '*101#',
  RECHARGE_SMS_NUMBER: '10658',
  RECHARGE_SMS_TEXT: 'CZ',
  RECHARGE_HOTLINE: '95555',
}

type Reason = 'arrears' | 'fraud' | 'administrative' | 'other'
interface Subscriber {
  address: string
  msisdn: string | null
  line?: { balanceMinor: number; status: 'active' | 'suspended'; suspensionReason: Reason | null; restoreThresholdMinor: number }
}

const S = {
  arrears: { address: '10.3.0.5', msisdn: '8613812345678', line: { balanceMinor: -550, status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 6000 } },
  arrearsSmallNeed: { address: '10.3.0.15', msisdn: '8613812340000', line: { balanceMinor: 1000, status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 3000 } },
  fraud: { address: '10.3.0.11', msisdn: '8613900001111', line: { balanceMinor: 8800, status: 'suspended', suspensionReason: 'fraud', restoreThresholdMinor: 0 } },
  administrative: { address: '10.3.0.12', msisdn: '8613900002222', line: { balanceMinor: 100, status: 'suspended', suspensionReason: 'administrative', restoreThresholdMinor: 0 } },
  other: { address: '10.3.0.13', msisdn: '8613900003333', line: { balanceMinor: 100, status: 'suspended', suspensionReason: 'other', restoreThresholdMinor: 0 } },
  active: { address: '10.3.0.6', msisdn: '8613700004444', line: { balanceMinor: 2300, status: 'active', suspensionReason: null, restoreThresholdMinor: 0 } },
  unknownLine: { address: '10.3.0.7', msisdn: '8615000005555' },
  sessionWithoutNumber: { address: '10.3.0.98', msisdn: null },
} satisfies Record<string, Subscriber>
const NOBODY = '10.3.0.99'

async function addSubscribers(db: Kysely<Database>, subscribers: Record<string, Subscriber>): Promise<void> {
  const nas = await db
    .insertInto('nasClients')
    .values({ name: 'pgw-portal', address: '192.0.2.12/32', secret: 'testing123', realm: 'default', requireMessageAuthenticator: true, coaHost: null, coaPort: 3799, liftProfile: 'coa' })
    .returning('id')
    .executeTakeFirstOrThrow()
  const recorder = createSessionRecorder(db, { touchAfterMs: 0 })
  for (const [name, s] of Object.entries(subscribers)) {
    if (s.line !== undefined && s.msisdn !== null) await db.insertInto('lines').values({ msisdn: s.msisdn, currency: 'CNY', ...s.line }).execute()
    await recorder.record({
      kind: 'start', nasId: nas.id, realm: 'default', acctSessionId: `portal-${name}`, msisdn: s.msisdn, imsi: null,
      framedIp: s.address, framedIpv6Prefix: null, delegatedIpv6Prefix: null, eventTime: new Date(), stopReason: null,
    })
  }
}

function unescapeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}

interface Form {
  action: string
  hidden: Record<string, string>
  html: string
}

function formsOf(html: string): Form[] {
  return [...html.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)].map((m) => {
    const hidden: Record<string, string> = {}
    for (const h of m[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) hidden[unescapeHtml(h[1]!)] = unescapeHtml(h[2]!)
    return { action: m[1]!, hidden, html: m[2]! }
  })
}

function amountButtons(html: string): { minor: number; restores: boolean }[] {
  return [...html.matchAll(/<button type="submit" name="amount" value="(\d+)">(.*?)<\/button>/g)].map((m) => ({ minor: Number(m[1]), restores: m[2]!.includes('<small>') }))
}

function continueLink(html: string): string | undefined {
  const m = /<a class="btn" href="([^"]*)">/.exec(html)
  return m === null ? undefined : unescapeHtml(m[1]!)
}

const MASKED = /\d{3}\*{4}\d{4}/

describe('GET /portal', () => {
  let t: TestDatabase
  let a: TestApp

  beforeAll(async () => {
    t = await createTestDatabase()
    await addSubscribers(t.handle.db, S)
    a = await buildTestApp(t.handle, ENV)
  })
  afterAll(async () => {
    await a?.app.close()
    await t?.destroy()
  })

  async function page(remoteAddress: string, options: { query?: string; headers?: Record<string, string>; app?: TestApp } = {}) {
    const res = await (options.app ?? a).app.inject({
      url: `/portal${options.query ?? ''}`,
      headers: { host: PORTAL_HOST, ...options.headers },
      remoteAddress,
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['cache-control']).toBe('private, no-store')
    return res
  }

  /** The query string the catch-all sends `remoteAddress` to the portal with, for `original`. */
  async function caughtQuery(remoteAddress: string, host = 'news.example.com', path = '/story?id=42'): Promise<string> {
    const res = await a.app.inject({ url: path, headers: { host, accept: 'text/html' }, remoteAddress })
    expect(res.statusCode).toBe(302)
    return new URL(res.headers.location as string).search
  }

  describe('a line suspended for arrears', () => {
    it('shows the masked number, the balance and the amount still needed (threshold − balance), in Chinese', async () => {
      const { body } = await page(S.arrears.address)
      expect(body).toContain('<h1>您的号码已停机</h1>')
      expect(body).toContain('<p>号码 138****5678 因欠费停机，当前余额 -5.50 元。</p>')
      expect(body).toContain('<p>至少充值 65.50 元 即可恢复服务。</p>')
      expect(body).not.toContain('13812345678')
    })

    it('says the same in English', async () => {
      const { body } = await page(S.arrears.address, { headers: { 'accept-language': 'en' } })
      expect(body).toContain('<h1>Your mobile service is paused</h1>')
      expect(body).toContain('<p>Line 138****5678 is suspended because the balance is -¥5.50.</p>')
      expect(body).toContain('<p>Recharge at least ¥65.50 to restore service.</p>')
    })

    it('computes the need from this line\'s own threshold and balance', async () => {
      const { body } = await page(S.arrearsSmallNeed.address)
      expect(body).toContain('当前余额 10.00 元')
      expect(body).toContain('至少充值 20.00 元 即可恢复服务')
    })

    it('offers a voucher form with labelled serial and PIN inputs, and does not ask for the number', async () => {
      const { body } = await page(S.arrears.address)
      const voucher = formsOf(body).find((f) => f.action === '/recharge/voucher')
      expect(voucher).toBeDefined()
      expect(voucher!.html).toMatch(/<label for="v-serial">充值卡序列号<\/label>\s*<input id="v-serial" name="serial"[^>]*required>/)
      expect(voucher!.html).toMatch(/<label for="v-pin">充值卡密码<\/label>\s*<input id="v-pin" name="pin" type="password"[^>]*required>/)
      expect(body).not.toContain('name="msisdn"')
    })

    it('offers a card button for every configured amount, marking as restoring exactly those that cover the need', async () => {
      const { body } = await page(S.arrears.address)
      const card = formsOf(body).find((f) => f.action === '/recharge/card')
      expect(card).toBeDefined()
      expect(amountButtons(card!.html)).toEqual([
        { minor: 2000, restores: false },
        { minor: 5000, restores: false },
        { minor: 6550, restores: true },
        { minor: 10000, restores: true },
      ])
      expect(card!.html).toContain('支付 65.50 元 <small>(可恢复服务)</small>')
      expect(card!.html).toContain('支付 50.00 元</button>')
    })

    it('marks every amount at or above a smaller need as restoring', async () => {
      const { body } = await page(S.arrearsSmallNeed.address, { headers: { 'accept-language': 'en' } })
      expect(amountButtons(body).map((b) => b.restores)).toEqual([true, true, true, true])
      expect(body).toContain('Pay ¥20.00 <small>(restores service)</small>')
    })

    it('lists the offline ways to recharge', async () => {
      const { body } = await page(S.arrears.address)
      expect(body).toContain('<li>拨打 *101#</li>')
      expect(body).toContain('<li>发送 CZ 到 10658</li>')
      expect(body).toContain('<li>致电 95555</li>')
    })

    it('shows only the payment methods the carrier configured', async () => {
      const voucherOnly = await buildTestApp(t.handle, { ...ENV, PAYMENT_METHODS: 'voucher' })
      const cardOnly = await buildTestApp(t.handle, { ...ENV, PAYMENT_METHODS: 'card' })
      try {
        expect(formsOf((await page(S.arrears.address, { app: voucherOnly })).body).map((f) => f.action)).toEqual(['/recharge/voucher'])
        expect(formsOf((await page(S.arrears.address, { app: cardOnly })).body).map((f) => f.action)).toEqual(['/recharge/card'])
      } finally {
        await voucherOnly.app.close()
        await cardOnly.app.close()
      }
    })
  })

  describe.each([
    ['fraud', S.fraud, '安全核查', 'security check', '139****1111'],
    ['administrative', S.administrative, '管理原因', 'administrative', '139****2222'],
    ['other', S.other, '其他原因', 'other', '139****3333'],
  ] as const)('a line suspended for %s', (_reason, s, zhReason, enReason, masked) => {
    it('offers no payment form and tells whom to call', async () => {
      const zh = (await page(s.address)).body
      expect(zh).toContain(`号码 ${masked} 已停机（${zhReason}），充值无法恢复，请拨打 95555。`)
      expect(zh).not.toContain('<form')
      expect(zh).not.toContain('<button')
      const en = (await page(s.address, { headers: { 'accept-language': 'en-US' } })).body
      expect(en).toContain(`Line ${masked} is suspended (${enReason}). A recharge will not restore it: please call 95555.`)
      expect(en).not.toContain('<form')
    })

    it('does not show the balance', async () => {
      const { body } = await page(s.address)
      expect(body).not.toContain('余额')
      expect(body).not.toContain(`${(s.line.balanceMinor / 100).toFixed(2)} 元`)
    })
  })

  describe('an active line', () => {
    it('offers no forms and says the line is not suspended', async () => {
      const { body } = await page(S.active.address)
      expect(body).toContain('<h1>您的号码状态正常</h1>')
      expect(body).toContain('号码 137****4444 未停机，可以正常上网。')
      expect(body).not.toContain('<form')
      expect(continueLink(body)).toBeUndefined()
    })

    it('links back to the original URL when the catch-all signed it', async () => {
      const query = await caughtQuery(S.active.address, 'news.example.com', '/story?id=42&src=wap')
      const { body } = await page(S.active.address, { query })
      expect(continueLink(body)).toBe('http://news.example.com/story?id=42&src=wap')
      expect(body).toContain('继续访问 http://news.example.com/story?id=42&amp;src=wap</a>')
    })

    it('renders no continue link when the signature was tampered with', async () => {
      const query = new URLSearchParams(await caughtQuery(S.active.address))
      const sig = query.get('sig')!
      query.set('sig', `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`)
      const { body } = await page(S.active.address, { query: `?${query}` })
      expect(continueLink(body)).toBeUndefined()
      expect(body).not.toContain('继续访问')
    })

    it('renders no continue link for an original URL that was swapped under a valid signature', async () => {
      const query = new URLSearchParams(await caughtQuery(S.active.address))
      query.set('continue', 'http://evil.example/story?id=42')
      const { body } = await page(S.active.address, { query: `?${query}` })
      expect(continueLink(body)).toBeUndefined()
      expect(body).not.toMatch(/href="http:\/\/evil/)
    })

    it('renders no continue link for an unsigned URL', async () => {
      const { body } = await page(S.active.address, { query: '?continue=http%3A%2F%2Fevil.example%2F' })
      expect(continueLink(body)).toBeUndefined()
    })
  })

  describe('a client the network cannot identify', () => {
    function expectAsksForNumber(body: string): void {
      expect(body).toContain('无法自动识别您的号码，请输入要充值的手机号码。')
      for (const id of ['v-msisdn', 'c-msisdn']) {
        expect(body).toMatch(new RegExp(`<label for="${id}">手机号码</label>\\s*<input id="${id}" name="msisdn" type="tel"[^>]*required>`))
      }
      expect(body).not.toMatch(MASKED)
      expect(body).not.toContain('余额')
      expect(body).not.toContain('-5.50')
      expect(amountButtons(body).every((b) => !b.restores)).toBe(true)
    }

    it('asks for the number and shows no balance or masked number', async () => {
      expectAsksForNumber((await page(NOBODY)).body)
    })

    it('treats a session without a number as unidentified', async () => {
      expectAsksForNumber((await page(S.sessionWithoutNumber.address)).body)
    })

    it('ignores ?msisdn= and an X-MSISDN header from an untrusted address', async () => {
      const enriched = await buildTestApp(t.handle, { ...ENV, ENRICHMENT_HEADERS: 'x-msisdn', TRUSTED_PROXIES: '192.0.2.250' })
      try {
        const res = await page(NOBODY, {
          app: enriched,
          query: `?msisdn=${S.arrears.msisdn}`,
          headers: { 'x-msisdn': S.arrears.msisdn, 'x-forwarded-for': S.arrears.address },
        })
        expectAsksForNumber(res.body)
        expect(res.body).not.toContain('5678')
      } finally {
        await enriched.app.close()
      }
    })
  })

  it('an identified line billing does not know: says so, masked, with the offline ways and no forms', async () => {
    const { body } = await page(S.unknownLine.address)
    expect(body).toContain('未找到号码 150****5555 的账户，您仍可通过下方其他方式充值。')
    expect(body).not.toContain('<form')
    expect(body).toContain('<li>拨打 *101#</li>')
    const en = (await page(S.unknownLine.address, { headers: { 'accept-language': 'en' } })).body
    expect(en).toContain('We could not find the account of line 150****5555.')
  })

  describe('language', () => {
    it.each([
      ['en', 'en'],
      ['en-US,en;q=0.9', 'en'],
      ['fr-FR, en;q=0.5', 'en'],
      ['zh', 'zh-CN'],
      ['zh-TW,zh;q=0.9,en;q=0.8', 'zh-CN'],
      ['en;q=0.4, zh-CN;q=0.8', 'zh-CN'],
      [undefined, 'zh-CN'],
      ['fr', 'zh-CN'],
    ])('Accept-Language %s gives %s', async (acceptLanguage, lang) => {
      const res = await page(NOBODY, { headers: acceptLanguage === undefined ? {} : { 'accept-language': acceptLanguage } })
      expect(res.body).toContain(`<html lang="${lang}">`)
      expect(res.headers['content-language']).toBe(lang)
      expect(res.body).toContain(lang === 'en' ? '<title>Recharge your line</title>' : '<title>话费充值</title>')
    })

    it('?lang= overrides Accept-Language both ways, and an unknown ?lang= is ignored', async () => {
      expect((await page(NOBODY, { query: '?lang=en', headers: { 'accept-language': 'zh-CN' } })).body).toContain('<html lang="en">')
      expect((await page(NOBODY, { query: '?lang=zh-CN', headers: { 'accept-language': 'en' } })).body).toContain('<html lang="zh-CN">')
      expect((await page(NOBODY, { query: '?lang=de', headers: { 'accept-language': 'en' } })).body).toContain('<html lang="en">')
    })

    it('the language link switches language and keeps continue, sig and rt', async () => {
      const query = await caughtQuery(S.arrears.address)
      const carried = new URLSearchParams(query)
      const { body } = await page(S.arrears.address, { query })
      const m = /<p class="lang"><a href="([^"]*)" hreflang="en"[^>]*>English<\/a><\/p>/.exec(body)
      expect(m).not.toBeNull()
      const href = unescapeHtml(m![1]!)
      expect(href.startsWith('/portal?')).toBe(true)
      const params = new URL(href, `http://${PORTAL_HOST}`).searchParams
      for (const name of ['continue', 'sig', 'rt']) expect(params.get(name), name).toBe(carried.get(name))
      expect(params.get('lang')).toBe('en')

      const english = await page(S.arrears.address, { query: href.slice('/portal'.length) })
      expect(english.body).toContain('<html lang="en">')
      expect(english.body).toContain('Line 138****5678')
      const back = new URL(unescapeHtml(/<p class="lang"><a href="([^"]*)" hreflang="zh-CN"[^>]*>中文<\/a>/.exec(english.body)![1]!), `http://${PORTAL_HOST}`)
      expect(back.searchParams.get('lang')).toBe('zh-CN')
      expect(back.searchParams.get('continue')).toBe(carried.get('continue'))
    })
  })

  describe('forms', () => {
    it('every form carries the anti-forgery token, the language and what the catch-all carried', async () => {
      const query = await caughtQuery(S.arrears.address)
      const carried = new URLSearchParams(query)
      for (const address of [S.arrears.address, NOBODY]) {
        const forms = formsOf((await page(address, { query })).body)
        expect(forms.map((f) => f.action)).toEqual(['/recharge/voucher', '/recharge/card'])
        for (const form of forms) {
          expect(Object.keys(form.hidden).sort()).toEqual(['continue', 'ft', 'lang', 'rt', 'sig'])
          expect(form.hidden.lang).toBe('zh-CN')
          for (const name of ['continue', 'sig', 'rt']) expect(form.hidden[name], name).toBe(carried.get(name))
        }
      }
    })

    it('the token checks out for the client address it was issued to, and for no other', async () => {
      const forms = formsOf((await page(S.arrears.address)).body)
      const tokens = new Set(forms.map((f) => f.hidden.ft))
      expect(tokens.size).toBe(1)
      const [ft] = [...tokens]
      expect(checkFormToken(a.keys.formToken, S.arrears.address, ft)).toBe(true)
      expect(checkFormToken(a.keys.formToken, S.active.address, ft)).toBe(false)
      expect(checkFormToken(a.keys.formToken, NOBODY, ft)).toBe(false)
      expect(checkFormToken(a.keys.redirectToken, S.arrears.address, ft)).toBe(false)
      expect(checkFormToken(a.keys.formToken, S.arrears.address, ft, Date.now() / 1000 + 3 * 3600)).toBe(false)
    })

    it('an unidentified client\'s token is bound to its own address', async () => {
      const [form] = formsOf((await page(NOBODY)).body)
      expect(checkFormToken(a.keys.formToken, NOBODY, form!.hidden.ft)).toBe(true)
      expect(checkFormToken(a.keys.formToken, S.arrears.address, form!.hidden.ft)).toBe(false)
    })
  })

  describe('page budget and hygiene', () => {
    const BUDGET = 14 * 1024
    const sizes: string[] = []
    afterAll(() => {
      console.info(`portal page sizes (headers + body, bytes):\n  ${sizes.join('\n  ')}`)
    })

    /** Each page variant, with the longest original URL the catch-all carries where it is shown. */
    async function variants(): Promise<{ name: string; address: string; query: string }[]> {
      const host = 'news.example.com'
      // The longest original URL the catch-all carries, made heavy: random characters do not
      // compress, and '&' grows fivefold when escaped into HTML.
      let path = `/r/${randomBytes(450).toString('base64url')}?`
      while (`http://${host}${path}&a`.length <= 1024) path += '&a'
      const arrearsQuery = await caughtQuery(S.arrears.address, host, path)
      expect(new URLSearchParams(arrearsQuery).get('continue')!.length).toBeGreaterThan(1000)
      return [
        { name: 'arrears, longest continue', address: S.arrears.address, query: arrearsQuery },
        { name: 'unidentified, longest continue', address: NOBODY, query: await caughtQuery(NOBODY, host, path) },
        { name: 'active, longest continue link', address: S.active.address, query: await caughtQuery(S.active.address, host, path) },
        { name: 'other reason', address: S.fraud.address, query: '' },
        { name: 'unknown line', address: S.unknownLine.address, query: '' },
      ]
    }

    function wireBytes(res: { statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer }): number {
      const head = `HTTP/1.1 ${res.statusCode} OK\r\n${Object.entries(res.headers).map(([k, v]) => `${k}: ${String(v)}\r\n`).join('')}\r\n`
      return Buffer.byteLength(head) + res.rawPayload.length
    }

    it('is served compressed (gzip or br) and the whole first response fits in 14 KB', async () => {
      for (const v of await variants()) {
        const plain = await page(v.address, { query: v.query, headers: { 'accept-encoding': 'identity' } })
        expect(plain.headers['content-encoding']).toBeUndefined()
        for (const [encoding, decompress] of [['gzip', gunzipSync], ['br', brotliDecompressSync]] as const) {
          const res = await page(v.address, { query: v.query, headers: { 'accept-encoding': `${encoding}, identity;q=0.5` } })
          expect(res.headers['content-encoding'], `${v.name} ${encoding}`).toBe(encoding)
          const html = decompress(res.rawPayload).toString('utf8')
          expect(html.startsWith('<!doctype html>')).toBe(true)
          expect(html.length).toBeGreaterThan(res.rawPayload.length)
          expect(wireBytes(res), `${v.name} ${encoding}`).toBeLessThanOrEqual(BUDGET)
          sizes.push(`${v.name}: ${encoding} ${wireBytes(res)} (body ${res.rawPayload.length}), uncompressed ${wireBytes(plain)} (body ${plain.rawPayload.length})`)
        }
      }
    })

    it('has no script, no event handler, no javascript: or data: URL, and no URL to another site except the continue link', async () => {
      for (const v of await variants()) {
        const { body } = await page(v.address, { query: v.query })
        expect(body, v.name).not.toMatch(/<script/i)
        expect(body, v.name).not.toMatch(/\son[a-z]+\s*=/i)
        expect(body.toLowerCase(), v.name).not.toMatch(/(href|src|action)="\s*(javascript|data|vbscript):/)
        const target = continueLink(body)
        for (const m of body.matchAll(/\s(href|src|action|formaction|srcset|poster)="([^"]*)"/gi)) {
          const url = unescapeHtml(m[2]!)
          if (url === target) continue
          expect(url, `${v.name}: ${m[1]}`).toMatch(/^\/(?!\/)/)
        }
        if (v.name.startsWith('active')) expect(target).toMatch(/^http:\/\/news\.example\.com\//)
      }
    })

    it('labels every visible input and sets the page language', async () => {
      for (const v of await variants()) {
        const { body } = await page(v.address, { query: v.query })
        expect(body, v.name).toMatch(/^<!doctype html>\n<html lang="zh-CN">/)
        const labelled = new Set([...body.matchAll(/<label for="([^"]+)">[^<]+<\/label>/g)].map((m) => m[1]))
        for (const input of body.matchAll(/<input\b[^>]*>/g)) {
          const tag = input[0]
          if (/\stype="hidden"/.test(tag)) continue
          const id = /\sid="([^"]+)"/.exec(tag)?.[1]
          const ok = (id !== undefined && labelled.has(id)) || /\saria-label="[^"]+"/.test(tag)
          expect(ok, `${v.name}: ${tag}`).toBe(true)
        }
      }
    })
  })
})
