// A NAS client as an operator writes it (console form, /api/v1 JSON, YAML): validation with a
// path on every problem. The shared secret is write-only: it is never part of what is shown back.
import ipaddr from 'ipaddr.js'
import type { NasClientFields } from '../db/nas-clients.ts'
import { encodeAttribute } from '../radius/attribute-encoder.ts'
import type { Problem } from './settings-schema.ts'

/** The lift profiles a NAS can have (see adapters/network/radius-network.ts). */
export const LIFT_PROFILES = ['coa', 'disconnect', 'none'] as const

/** A validated NAS client; `secret` undefined means "keep the one stored". */
export type NasClientInput = NasClientFields

const NAME = /^[A-Za-z0-9._-]{1,64}$/
const REALM = /^[A-Za-z0-9._-]{1,64}$/

/** "10.0.0.1" for a single-address CIDR, else the CIDR as PostgreSQL prints it. */
export function displayAddress(cidr: string): string {
  return cidr.replace(/\/(32|128)$/, '')
}

function checkAddress(value: unknown, path: string, problems: Problem[]): string | undefined {
  if (typeof value !== 'string') return void problems.push({ path, message: 'expected an IP address or CIDR' })
  const text = value.trim()
  try {
    // An IPv4-mapped IPv6 address is the IPv4 address (as the NAS directory matches sources).
    if (!text.includes('/')) return ipaddr.process(text).toString()
    const [network, bits] = ipaddr.parseCIDR(text)
    // PostgreSQL's cidr refuses host bits; say which network was meant.
    const first = network.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text)
    if (first.toString() !== network.toString()) return void problems.push({ path, message: `${text} has host bits set: did you mean ${first.toString()}/${bits}?` })
    return `${network.toString()}/${bits}`
  } catch {
    return void problems.push({ path, message: `${JSON.stringify(text)} is not an IP address or CIDR` })
  }
}

function checkAttributes(value: unknown, path: string, problems: Problem[]): NasClientInput['coaAttributes'] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) return (problems.push({ path, message: 'expected a list of { name, value }' }), [])
  const out: NasClientInput['coaAttributes'] = []
  value.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`
    const { name, value: v } = (item ?? {}) as { name?: unknown; value?: unknown }
    if (typeof name !== 'string' || (typeof v !== 'string' && typeof v !== 'number')) return problems.push({ path: at, message: 'expected { name, value } with a text or number value' })
    try {
      encodeAttribute({ name, value: typeof v === 'number' ? v : v })
      out.push({ name, value: v })
    } catch (err) {
      problems.push({ path: at, message: `cannot be sent: ${(err as Error).message}` })
    }
  })
  return out
}

/**
 * Validate one NAS client. `secretRequired`: a new NAS must come with its secret; a change may
 * leave it out (kept as stored).
 */
export function validateNasClient(input: unknown, path: string, options: { secretRequired: boolean }): { nas: NasClientInput | undefined; problems: Problem[] } {
  const problems: Problem[] = []
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return { nas: undefined, problems: [{ path, message: 'expected a NAS client' }] }
  const raw = input as Record<string, unknown>
  const known = ['name', 'address', 'realm', 'secret', 'requireMessageAuthenticator', 'coaHost', 'coaPort', 'liftProfile', 'coaAttributes']
  for (const key of Object.keys(raw)) if (!known.includes(key)) problems.push({ path: `${path}.${key}`, message: `unknown field (known: ${known.join(', ')})` })

  const name = typeof raw.name === 'string' && NAME.test(raw.name.trim()) ? raw.name.trim() : void problems.push({ path: `${path}.name`, message: 'expected a name of 1 to 64 letters, digits, . _ -' })
  const address = checkAddress(raw.address, `${path}.address`, problems)
  const realmRaw = raw.realm ?? 'default'
  const realm = typeof realmRaw === 'string' && REALM.test(realmRaw.trim()) ? realmRaw.trim() : void problems.push({ path: `${path}.realm`, message: 'expected a realm of 1 to 64 letters, digits, . _ -' })
  let secret: string | undefined
  if (raw.secret === undefined || raw.secret === null || raw.secret === '') {
    if (options.secretRequired) problems.push({ path: `${path}.secret`, message: 'a new NAS client needs its shared secret' })
  } else if (typeof raw.secret !== 'string' || raw.secret.length < 8 || Buffer.byteLength(raw.secret) > 128 || /[\x00-\x1f\x7f]/.test(raw.secret)) {
    // Never echo the secret back, not even in an error.
    problems.push({ path: `${path}.secret`, message: 'expected 8 to 128 printable characters (16 or more random ones recommended)' })
  } else secret = raw.secret
  const requireMessageAuthenticator = raw.requireMessageAuthenticator ?? true
  if (typeof requireMessageAuthenticator !== 'boolean') problems.push({ path: `${path}.requireMessageAuthenticator`, message: 'expected true or false' })
  let coaHost: string | null = null
  if (raw.coaHost !== undefined && raw.coaHost !== null && raw.coaHost !== '') {
    if (typeof raw.coaHost === 'string' && ipaddr.isValid(raw.coaHost.trim())) coaHost = ipaddr.parse(raw.coaHost.trim()).toString()
    else problems.push({ path: `${path}.coaHost`, message: 'expected an IP address (or nothing: the NAS address)' })
  } else if (address?.includes('/') && !/\/(32|128)$/.test(address)) {
    problems.push({ path: `${path}.coaHost`, message: 'a NAS given as a network needs the address to send CoA to' })
  }
  const portRaw = raw.coaPort ?? 3799
  const coaPort = typeof portRaw === 'number' || (typeof portRaw === 'string' && /^\d+$/.test(portRaw)) ? Number(portRaw) : NaN
  if (!Number.isInteger(coaPort) || coaPort < 1 || coaPort > 65535) problems.push({ path: `${path}.coaPort`, message: 'expected a port from 1 to 65535' })
  const liftProfile = raw.liftProfile ?? 'coa'
  if (!(LIFT_PROFILES as readonly unknown[]).includes(liftProfile)) problems.push({ path: `${path}.liftProfile`, message: `expected one of ${LIFT_PROFILES.join(', ')}` })
  const coaAttributes = checkAttributes(raw.coaAttributes, `${path}.coaAttributes`, problems)
  if (problems.length > 0 || name === undefined || address === undefined || realm === undefined) return { nas: undefined, problems }
  return {
    nas: { name, address, realm, secret, requireMessageAuthenticator: requireMessageAuthenticator as boolean, coaHost, coaPort, liftProfile: liftProfile as NasClientInput['liftProfile'], coaAttributes },
    problems,
  }
}
