import { describe, expect, it } from 'vitest'
import { validateNasClient } from '../../src/settings/nas-client-input.ts'
import { storedSettings, validateSettings } from '../../src/settings/settings-schema.ts'

const context = { cardAvailable: false, envTrustedProxies: [] }

describe('settings validation', () => {
  it('normalises good settings: amounts to two decimals in ascending order, header names to lower case', () => {
    const { settings, problems } = validateSettings(
      { trustedProxies: ['10.0.0.0/8', '2001:db8::1'], enrichmentHeaders: ['X-MSISDN'], currency: 'usd', amounts: ['100', 20, '49.9'], paymentMethods: ['voucher'], hotline: '400-800 1234', texts: { en: { title: 'Top up' } }, captiveApiUrl: 'https://portal.example/.well-known/captive-portal' },
      context,
    )
    expect(problems).toEqual([])
    expect(settings).toEqual({
      trustedProxies: ['10.0.0.0/8', '2001:db8::1'],
      enrichmentHeaders: ['x-msisdn'],
      currency: 'USD',
      amounts: ['20.00', '49.90', '100.00'],
      paymentMethods: ['voucher'],
      hotline: '400-800 1234',
      texts: { en: { title: 'Top up' } },
      captiveApiUrl: 'https://portal.example/.well-known/captive-portal',
    })
  })

  it('reports every problem with its path and accepts nothing', () => {
    const { problems } = validateSettings(
      {
        trustedProxies: ['10.0.0.0/8', 'not-an-ip'],
        enrichmentHeaders: ['x msisdn'],
        amounts: ['-5', '20', '20'],
        paymentMethods: ['card', 'cash'],
        ussd: '<script>',
        texts: { en: { arrears: 'Line {line} owes {debt}', nope: 'x' }, fr: {} },
        captiveApiUrl: 'ftp://x',
        colour: 'blue',
      },
      context,
    )
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'settings.trustedProxies[1]', message: '"not-an-ip" is not an IP address or CIDR' },
        { path: 'settings.enrichmentHeaders[0]', message: '"x msisdn" is not a header name' },
        { path: 'settings.amounts[0]', message: '"-5" is not a positive amount like 50 or 49.90' },
        { path: 'settings.amounts', message: 'listed twice: 20.00' },
        { path: 'settings.paymentMethods[1]', message: '"cash" is not one of voucher, card' },
        { path: 'settings.paymentMethods', message: 'card needs a payment provider (PSP_URL and the other PSP_ variables)' },
        expect.objectContaining({ path: 'settings.ussd' }),
        { path: 'settings.texts.en.arrears', message: 'unknown placeholder {debt} (this text may use {line}, {balance})' },
        { path: 'settings.texts.en.nope', message: 'not a text of the portal' },
        expect.objectContaining({ path: 'settings.texts.fr' }),
        expect.objectContaining({ path: 'settings.captiveApiUrl' }),
        expect.objectContaining({ path: 'settings.colour' }),
      ]),
    )
    expect(problems).toHaveLength(12)
  })

  it('refuses enrichment headers unless some proxy is trusted (in the settings or the environment)', () => {
    expect(validateSettings({ enrichmentHeaders: ['x-msisdn'] }, context).problems).toEqual([
      { path: 'settings.enrichmentHeaders', message: 'set trustedProxies too: headers are only believed from trusted proxies' },
    ])
    expect(validateSettings({ enrichmentHeaders: ['x-msisdn'] }, { ...context, envTrustedProxies: ['10.0.0.1'] }).problems).toEqual([])
  })

  it('leaves out a stored key that no longer validates (a hand edit) and keeps the rest', () => {
    const { settings, problems } = storedSettings({ currency: 'CNY', amounts: ['x'], hotline: '12345' }, context)
    expect(settings).toEqual({ currency: 'CNY', hotline: '12345' })
    expect(problems.map((p) => p.path)).toEqual(['settings.amounts[0]', 'settings.amounts'])
  })
})

describe('NAS client validation', () => {
  const good = { name: 'bng-1', address: '192.0.2.10', secret: 'a-long-shared-secret', coaPort: 3799, liftProfile: 'coa', coaAttributes: [{ name: 'Filter-Id', value: 'open' }] }

  it('accepts a NAS with defaults for what it leaves out', () => {
    const { nas, problems } = validateNasClient(good, 'nas', { secretRequired: true })
    expect(problems).toEqual([])
    expect(nas).toEqual({ ...good, realm: 'default', requireMessageAuthenticator: true, coaHost: null })
  })

  it('says which network was meant when a CIDR has host bits, and never echoes a bad secret', () => {
    const { problems } = validateNasClient({ ...good, address: '10.1.2.3/16', secret: 'short', coaPort: 70000, liftProfile: 'reboot', coaAttributes: [{ name: 'No-Such-Attribute', value: 1 }], colour: 1 }, 'n', { secretRequired: true })
    expect(problems).toEqual([
      { path: 'n.colour', message: expect.stringMatching(/^unknown field/) },
      { path: 'n.address', message: '10.1.2.3/16 has host bits set: did you mean 10.1.0.0/16?' },
      { path: 'n.secret', message: 'expected 8 to 128 printable characters (16 or more random ones recommended)' },
      { path: 'n.coaPort', message: 'expected a port from 1 to 65535' },
      { path: 'n.liftProfile', message: 'expected one of coa, disconnect, none' },
      { path: 'n.coaAttributes[0]', message: 'cannot be sent: unknown attribute No-Such-Attribute' },
    ])
    expect(JSON.stringify(problems)).not.toContain('short')
  })

  it('needs a CoA address for a NAS given as a network, and a secret only when asked to', () => {
    expect(validateNasClient({ ...good, address: '10.0.0.0/8', secret: undefined }, 'n', { secretRequired: true }).problems.map((p) => p.path)).toEqual(['n.secret', 'n.coaHost'])
    expect(validateNasClient({ ...good, address: '10.0.0.0/8', coaHost: '10.0.0.1', secret: undefined }, 'n', { secretRequired: false }).problems).toEqual([])
  })
})
