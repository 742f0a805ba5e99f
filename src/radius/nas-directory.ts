// Which NAS a datagram came from: configured clients by address or CIDR, most specific first
// (RFC 2865 §3: a server must know each client and its own shared secret). Loaded from the
// database and refreshed on a timer, so a new NAS is accepted without a restart.
import ipaddr from 'ipaddr.js'

/** A configured NAS client as the RADIUS layer needs it. */
export interface NasEntry {
  readonly id: number
  readonly name: string
  readonly realm: string
  /** Address or CIDR as configured. */
  readonly address: string
  readonly secret: Buffer
  readonly requireMessageAuthenticator: boolean
  readonly coaHost: string | null
  readonly coaPort: number
  readonly liftProfile: 'coa' | 'disconnect' | 'none'
  /** Attributes the lift profile adds to every CoA-Request. */
  readonly coaAttributes: readonly { readonly name: string; readonly value: string | number }[]
}

/** Looks NAS clients up by source address. */
export interface NasDirectory {
  /** The most specific client whose address or CIDR contains `source`, if any. */
  find(source: string): NasEntry | undefined
  /** Replace the clients (after a database load). */
  replace(entries: readonly NasEntry[]): void
  list(): readonly NasEntry[]
}

interface Compiled {
  entry: NasEntry
  network: ipaddr.IPv4 | ipaddr.IPv6
  bits: number
}

/** Normalise an address as seen on a socket (IPv4-mapped IPv6 becomes IPv4); undefined if invalid. */
export function parseAddress(source: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    return ipaddr.process(source)
  } catch {
    return undefined
  }
}

function compile(entry: NasEntry): Compiled | undefined {
  try {
    const [network, bits] = entry.address.includes('/') ? ipaddr.parseCIDR(entry.address) : [ipaddr.parse(entry.address), -1]
    const normalised = network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() ? (network as ipaddr.IPv6).toIPv4Address() : network
    return { entry, network: normalised, bits: bits === -1 ? (normalised.kind() === 'ipv4' ? 32 : 128) : bits }
  } catch {
    return undefined
  }
}

/** Create a directory over `entries` (unparsable addresses are skipped). */
export function createNasDirectory(entries: readonly NasEntry[] = []): NasDirectory {
  let compiled: Compiled[] = []
  let cache = new Map<string, NasEntry | null>()
  const directory: NasDirectory = {
    find(source) {
      const hit = cache.get(source)
      if (hit !== undefined) return hit ?? undefined
      const address = parseAddress(source)
      let found: NasEntry | undefined
      if (address !== undefined) {
        for (const c of compiled) {
          if (c.network.kind() === address.kind() && address.match(c.network as never, c.bits)) {
            found = c.entry
            break
          }
        }
      }
      if (cache.size > 100_000) cache.clear()
      cache.set(source, found ?? null)
      return found
    },
    replace(next) {
      compiled = next.map(compile).filter((c): c is Compiled => c !== undefined).sort((a, b) => b.bits - a.bits)
      cache = new Map()
    },
    list: () => compiled.map((c) => c.entry),
  }
  directory.replace(entries)
  return directory
}
