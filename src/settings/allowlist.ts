// The walled-garden allowlist an operator loads into the BNG/PCEF: what a suspended line must
// still reach without being redirected — the portal (its hosts and addresses, the RFC 8908 API)
// and the payment provider's hosted pages. Host names are resolved here, at export time, because
// most packet gateways filter on addresses; re-export after DNS changes.
import { lookup } from 'node:dns/promises'
import ipaddr from 'ipaddr.js'

/** Why a host is on the list. */
export type AllowlistPurpose = 'portal' | 'captive-api' | 'payment'

/** One host and the addresses it resolved to. */
export interface AllowlistEntry {
  host: string
  purposes: AllowlistPurpose[]
  addresses: string[]
  /** False when the name did not resolve (the addresses list is then empty). */
  resolved: boolean
}

/** The whole allowlist. */
export interface Allowlist {
  generatedAt: string
  entries: AllowlistEntry[]
  hosts: string[]
  addresses: { ipv4: string[]; ipv6: string[] }
}

/** Resolves a host name to addresses (node:dns by default; tests may pass their own). */
export type Resolver = (host: string) => Promise<string[]>

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]'])

async function dnsResolve(host: string): Promise<string[]> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref())
  const found = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout])
  return found.map((a) => a.address)
}

function urlHost(url: string): string {
  return new URL(url).hostname.toLowerCase()
}

/** Build the allowlist from the portal's own hosts and URLs and the payment provider's URL. */
export async function buildAllowlist(input: {
  portalUrl: string
  ownHosts: readonly string[]
  captiveApiUrl: string
  paymentUrl: string | null
  resolve?: Resolver
}): Promise<Allowlist> {
  const resolve = input.resolve ?? dnsResolve
  const purposes = new Map<string, Set<AllowlistPurpose>>()
  const add = (host: string, purpose: AllowlistPurpose) => {
    const bare = host.replace(/^\[|\]$/g, '')
    purposes.set(bare, (purposes.get(bare) ?? new Set()).add(purpose))
  }
  const portalHost = urlHost(input.portalUrl)
  add(portalHost, 'portal')
  // localhost & co. are every portal's own names: only list them when the portal URL uses one.
  for (const host of input.ownHosts) if (!LOOPBACK_NAMES.has(host) || host === portalHost) add(host, 'portal')
  add(urlHost(input.captiveApiUrl), 'captive-api')
  if (input.paymentUrl !== null) add(urlHost(input.paymentUrl), 'payment')

  const entries = await Promise.all(
    [...purposes].map(async ([host, why]): Promise<AllowlistEntry> => {
      if (ipaddr.isValid(host)) return { host, purposes: [...why], addresses: [ipaddr.process(host).toString()], resolved: true }
      try {
        const addresses = [...new Set((await resolve(host)).map((a) => ipaddr.process(a).toString()))]
        return { host, purposes: [...why], addresses, resolved: true }
      } catch {
        return { host, purposes: [...why], addresses: [], resolved: false }
      }
    }),
  )
  const all = [...new Set(entries.flatMap((e) => e.addresses))]
  return {
    generatedAt: new Date().toISOString(),
    entries,
    hosts: entries.filter((e) => !ipaddr.isValid(e.host)).map((e) => e.host),
    addresses: {
      ipv4: all.filter((a) => ipaddr.parse(a).kind() === 'ipv4'),
      ipv6: all.filter((a) => ipaddr.parse(a).kind() === 'ipv6'),
    },
  }
}

/** Which part of the list a plain-text export carries. */
export type AllowlistPart = 'all' | 'hosts' | 'addresses'

/**
 * Plain text, one item a line; `#` lines are comments. `hosts` or `addresses` alone suit
 * `xargs` and `ipset restore`-style loaders; `all` is for people.
 */
export function allowlistText(list: Allowlist, part: AllowlistPart = 'all'): string {
  const addresses = [...list.addresses.ipv4, ...list.addresses.ipv6]
  if (part === 'hosts') return list.hosts.map((h) => `${h}\n`).join('')
  if (part === 'addresses') return addresses.map((a) => `${a}\n`).join('')
  const lines = [
    `# recharge-gateway walled-garden allowlist, generated ${list.generatedAt}`,
    '# Let suspended lines reach these without redirecting them to the portal.',
    ...list.entries.map((e) => `# ${e.purposes.join(', ')}: ${e.host} -> ${e.resolved ? e.addresses.join(' ') || '(no addresses)' : 'DID NOT RESOLVE'}`),
    '# hosts',
    ...list.hosts,
    '# addresses',
    ...addresses,
  ]
  return `${lines.join('\n')}\n`
}
