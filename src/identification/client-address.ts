// The subscriber's address as the network sees it: the socket's peer, unless that peer is one of
// the configured trusted proxies, in which case the right-most X-Forwarded-For hop that is not a
// trusted proxy. Never Fastify's trustProxy: a client-written header must not choose an identity.
import ipaddr from 'ipaddr.js'

type Address = ipaddr.IPv4 | ipaddr.IPv6

/** A compiled list of trusted proxy networks. */
export interface TrustedProxies {
  contains(address: string): boolean
}

/** Compile `cidrs` (addresses or CIDRs, already validated by loadConfig). */
export function compileTrustedProxies(cidrs: readonly string[]): TrustedProxies {
  const networks = cidrs.map((c) => {
    const [address, bits] = c.includes('/') ? ipaddr.parseCIDR(c) : [ipaddr.parse(c), -1]
    const network = normalise(address)
    const full = network.kind() === 'ipv4' ? 32 : 128
    // An IPv4-mapped range (::ffff:10.0.0.0/104) becomes the IPv4 range it maps (10.0.0.0/8).
    const mapped = network !== address
    return { network, bits: bits === -1 ? full : mapped ? Math.max(0, bits - 96) : bits }
  })
  return {
    contains(text) {
      if (networks.length === 0) return false
      const address = parse(text)
      if (address === undefined) return false
      return networks.some((n) => n.network.kind() === address.kind() && address.match(n.network as never, n.bits))
    },
  }
}

function normalise(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address
}

/** Parse and normalise an address (IPv4-mapped IPv6 → IPv4); undefined when invalid. */
export function parse(text: string): Address | undefined {
  try {
    return normalise(ipaddr.parse(text.trim()))
  } catch {
    return undefined
  }
}

/** The resolved client address, and whether a trusted proxy stood in front of it. */
export interface ClientAddress {
  address: string
  viaTrustedProxy: boolean
}

// Dotted-quad IPv4 without leading zeros: already what parse() would print, so the socket's peer
// (nearly always this form) needs no parsing.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const CANONICAL_IPV4 = new RegExp(`^(?:${OCTET}\\.){3}${OCTET}$`)

/** Resolve the client address from the socket peer and the X-Forwarded-For header. */
export function clientAddress(socketAddress: string, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): ClientAddress {
  const peer = CANONICAL_IPV4.test(socketAddress) ? socketAddress : (parse(socketAddress)?.toString() ?? socketAddress)
  if (!trusted.contains(peer)) return { address: peer, viaTrustedProxy: false }
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor ?? '').split(',').map((h) => h.trim()).filter((h) => h !== '')
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = parse(hops[i]!)
    // An unparsable hop was written by someone we do not trust: stop at the last trusted one.
    if (hop === undefined) break
    if (!trusted.contains(hop.toString())) return { address: hop.toString(), viaTrustedProxy: true }
  }
  return { address: peer, viaTrustedProxy: true }
}
