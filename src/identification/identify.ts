// "Which line is this request?" — answered only from what the network says: the source address
// (through trusted proxies), a redirect token we signed, or an enrichment header from a trusted
// proxy. The realm (APN/VRF/pool) comes from the listener or a trusted proxy's header, so two
// APNs sharing a private pool never see each other's sessions.
import type { HmacKey } from '../config/keys.ts'
import type { Kysely } from 'kysely'
import type { IdentificationConfig } from '../config/load-config.ts'
import type { Database } from '../db/schema.ts'
import { findActiveSessionByAddress } from '../db/sessions.ts'
import { clientAddress, compileTrustedProxies } from './client-address.ts'
import { normaliseMsisdn } from './msisdn.ts'
import { verifyRedirectToken } from './redirect-token.ts'
import { listenerKey } from '../config/load-config.ts'

/** The parts of an HTTP request identification looks at (framework-free, for tests and reuse). */
export interface RequestFacts {
  socketAddress: string
  localAddress: string
  localPort: number
  headers: Record<string, string | string[] | undefined>
  redirectToken?: string | undefined
}

/** How a line was identified. */
export type IdentifiedBy = 'address' | 'token' | 'header'

/** The answer: a line and how we know, or why not. */
export type Identification =
  | {
      identified: true
      msisdn: string
      how: IdentifiedBy
      realm: string
      address: string
      session: { id: number; nasId: number; acctSessionId: string } | null
    }
  | { identified: false; realm: string; address: string; reason: 'no_session' | 'session_without_msisdn' }

/** The identification service. */
export interface Identifier {
  identify(facts: RequestFacts): Promise<Identification>
  /** Address and realm only (no database work), for the catch-all redirect. */
  locate(facts: RequestFacts): { address: string; realm: string; viaTrustedProxy: boolean }
}

/** What the identifier needs. */
export interface IdentifierDeps {
  db: Kysely<Database>
  /** The configuration, or a function returning the one in force (operator settings change it live). */
  config: IdentificationConfig | (() => IdentificationConfig)
  redirectTokenKey: HmacKey
  /** Sessions unseen for longer than this are not trusted (ms). */
  sessionMaxAgeMs: number
}

function header(headers: RequestFacts['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** Create the identification service. */
export function createIdentifier(deps: IdentifierDeps): Identifier {
  const current = typeof deps.config === 'function' ? deps.config : () => deps.config as IdentificationConfig
  // Compiled once per list: settings hand out the same array until they change.
  let compiledFor: readonly string[] | undefined
  let compiled = compileTrustedProxies([])
  function trustedProxies(list: readonly string[]) {
    if (list !== compiledFor) {
      compiled = compileTrustedProxies(list)
      compiledFor = list
    }
    return compiled
  }

  function locate(facts: RequestFacts) {
    const { realmsByListener, defaultRealm, realmHeader } = current()
    const trusted = trustedProxies(current().trustedProxies)
    const client = clientAddress(facts.socketAddress, facts.headers['x-forwarded-for'], trusted)
    let realm: string | undefined
    if (client.viaTrustedProxy && realmHeader !== '') {
      const claimed = header(facts.headers, realmHeader)?.trim()
      if (claimed && /^[A-Za-z0-9._-]{1,64}$/.test(claimed)) realm = claimed
    }
    if (realm === undefined) {
      const local = listenerKey(facts.localAddress)
      if (local !== undefined) realm = realmsByListener[`${local} ${facts.localPort}`] ?? realmsByListener[local]
    }
    return { address: client.address, realm: realm ?? defaultRealm, viaTrustedProxy: client.viaTrustedProxy }
  }

  async function bySession(realm: string, address: string, how: IdentifiedBy): Promise<Identification> {
    const session = await findActiveSessionByAddress(deps.db, realm, address, new Date(Date.now() - deps.sessionMaxAgeMs))
    if (session === undefined) return { identified: false, realm, address, reason: 'no_session' }
    if (session.msisdn === null) return { identified: false, realm, address, reason: 'session_without_msisdn' }
    return {
      identified: true,
      msisdn: session.msisdn,
      how,
      realm,
      address,
      session: { id: session.id, nasId: session.nasId, acctSessionId: session.acctSessionId },
    }
  }

  return {
    locate,
    async identify(facts) {
      const located = locate(facts)
      if (facts.redirectToken) {
        const claims = verifyRedirectToken(deps.redirectTokenKey, facts.redirectToken)
        if (claims !== undefined) return bySession(claims.realm, claims.address, 'token')
      }
      if (located.viaTrustedProxy) {
        const { enrichmentHeaders, countryCode } = current()
        for (const name of enrichmentHeaders) {
          const value = header(facts.headers, name)
          const msisdn = value === undefined ? null : normaliseMsisdn(value, countryCode)
          if (msisdn !== null) return { identified: true, msisdn, how: 'header', realm: located.realm, address: located.address, session: null }
        }
      }
      return bySession(located.realm, located.address, 'address')
    },
  }
}
