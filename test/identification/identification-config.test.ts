// The identification settings loadConfig accepts and refuses: headers are only ever believed from
// trusted proxies, so configuring one without the other is a deployment error.
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config/config-error.ts'
import { loadConfig } from '../../src/config/load-config.ts'

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ DATA_DIR: 'memory', ...env })
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
  return []
}

describe('loadConfig: identification', () => {
  it('rejects ENRICHMENT_HEADERS without TRUSTED_PROXIES', () => {
    expect(problems({ ENRICHMENT_HEADERS: 'x-msisdn' })).toEqual([expect.stringMatching(/^ENRICHMENT_HEADERS.*TRUSTED_PROXIES/)])
  })

  it('rejects REALM_HEADER without TRUSTED_PROXIES', () => {
    expect(problems({ REALM_HEADER: 'x-realm' })).toEqual([expect.stringMatching(/REALM_HEADER.*TRUSTED_PROXIES/)])
  })

  it('rejects every bad TRUSTED_PROXIES entry, naming each, in one error', () => {
    const found = problems({ TRUSTED_PROXIES: '127.0.0.1, not-an-ip, 10.0.0.0/33, 2001:db8::/129' })
    expect(found).toHaveLength(3)
    expect(found[0]).toMatch(/^TRUSTED_PROXIES: "not-an-ip"/)
    expect(found[1]).toMatch(/^TRUSTED_PROXIES: "10\.0\.0\.0\/33"/)
    expect(found[2]).toMatch(/^TRUSTED_PROXIES: "2001:db8::\/129"/)
  })

  it('rejects bad header names, realms and listener entries', () => {
    const found = problems({
      TRUSTED_PROXIES: '127.0.0.1',
      ENRICHMENT_HEADERS: 'x-msisdn, bad header',
      REALM_HEADER: 'x_realm',
      DEFAULT_REALM: 'no spaces allowed',
      REALMS_BY_LISTENER: '127.0.0.1=apn-a, nowhere=apn-b, 127.0.0.2=',
      DEFAULT_COUNTRY_CODE: '+86',
    })
    expect(found.map((p) => p.split(':')[0])).toEqual([
      'ENRICHMENT_HEADERS',
      'REALM_HEADER',
      'DEFAULT_REALM',
      'REALMS_BY_LISTENER',
      'REALMS_BY_LISTENER',
      'DEFAULT_COUNTRY_CODE',
    ])
  })

  it('accepts a complete set-up, lower-casing header names and keying listeners by address and port', () => {
    const { identification } = loadConfig({
      DATA_DIR: 'memory',
      TRUSTED_PROXIES: '127.0.0.1, 10.1.0.0/16, 2001:db8:ff::/48',
      ENRICHMENT_HEADERS: 'X-MSISDN, X-Up-Calling-Line-Id',
      REALM_HEADER: 'X-Realm',
      REALMS_BY_LISTENER: '10.0.0.1=apn-a, 10.0.0.1:8081=apn-b, [2001:db8::1]:8080=apn-c, 2001:DB8::2=apn-d',
      DEFAULT_REALM: 'internet',
      DEFAULT_COUNTRY_CODE: '31',
    })
    expect(identification).toEqual({
      trustedProxies: ['127.0.0.1', '10.1.0.0/16', '2001:db8:ff::/48'],
      enrichmentHeaders: ['x-msisdn', 'x-up-calling-line-id'],
      realmHeader: 'x-realm',
      realmsByListener: { '10.0.0.1': 'apn-a', '10.0.0.1 8081': 'apn-b', '2001:db8::1 8080': 'apn-c', '2001:db8::2': 'apn-d' },
      defaultRealm: 'internet',
      countryCode: '31',
    })
    expect(Object.isFrozen(identification)).toBe(true)
  })

  it('defaults to no trusted proxies, no headers, the realm "default" and country code 86', () => {
    expect(loadConfig({ DATA_DIR: 'memory' }).identification).toEqual({
      trustedProxies: [],
      enrichmentHeaders: [],
      realmHeader: '',
      realmsByListener: {},
      defaultRealm: 'default',
      countryCode: '86',
    })
  })
})
