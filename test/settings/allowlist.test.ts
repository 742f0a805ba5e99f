import { describe, expect, it } from 'vitest'
import { allowlistText, buildAllowlist } from '../../src/settings/allowlist.ts'

// A resolver standing in for the carrier's DNS (outside the gateway); names it does not know fail.
const DNS: Record<string, string[]> = {
  'portal.carrier.example': ['203.0.113.10', '2001:db8::10'],
  'pay.psp.example': ['198.51.100.7', '198.51.100.8'],
}
const resolve = async (host: string) => {
  const found = DNS[host]
  if (found === undefined) throw new Error('ENOTFOUND')
  return found
}

describe('the walled-garden allowlist', () => {
  it('lists the portal, its RFC 8908 API and the payment provider, with their addresses once each', async () => {
    const list = await buildAllowlist({
      portalUrl: 'https://portal.carrier.example',
      ownHosts: ['portal.carrier.example', 'portal-alt.carrier.example', 'localhost', '127.0.0.1', '[::1]'],
      captiveApiUrl: 'https://portal.carrier.example/.well-known/captive-portal',
      paymentUrl: 'https://pay.psp.example/hosted',
      resolve,
    })
    expect(list.entries).toEqual([
      { host: 'portal.carrier.example', purposes: ['portal', 'captive-api'], addresses: ['203.0.113.10', '2001:db8::10'], resolved: true },
      { host: 'portal-alt.carrier.example', purposes: ['portal'], addresses: [], resolved: false },
      { host: 'pay.psp.example', purposes: ['payment'], addresses: ['198.51.100.7', '198.51.100.8'], resolved: true },
    ])
    expect(list.hosts).toEqual(['portal.carrier.example', 'portal-alt.carrier.example', 'pay.psp.example'])
    expect(list.addresses).toEqual({ ipv4: ['203.0.113.10', '198.51.100.7', '198.51.100.8'], ipv6: ['2001:db8::10'] })
    expect(allowlistText(list, 'addresses')).toBe('203.0.113.10\n198.51.100.7\n198.51.100.8\n2001:db8::10\n')
    expect(allowlistText(list, 'hosts')).toBe('portal.carrier.example\nportal-alt.carrier.example\npay.psp.example\n')
    const all = allowlistText(list)
    expect(all).toContain('# portal: portal-alt.carrier.example -> DID NOT RESOLVE')
    expect(all.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toHaveLength(7)
  })

  it('takes address literals as they are and leaves the loopback names out unless the portal uses one', async () => {
    const list = await buildAllowlist({ portalUrl: 'http://[2001:db8::5]:8080', ownHosts: ['[2001:db8::5]', 'localhost'], captiveApiUrl: 'http://[2001:db8::5]:8080/.well-known/captive-portal', paymentUrl: null, resolve })
    expect(list.entries).toEqual([{ host: '2001:db8::5', purposes: ['portal', 'captive-api'], addresses: ['2001:db8::5'], resolved: true }])
    expect(list.hosts).toEqual([])
  })
})
