// "Which line is this request?" — answered only from what the network says: the source address
// (through trusted proxies), a redirect token we signed, or an enrichment header from a trusted
// proxy. The realm (APN/VRF/pool) comes from the listener or a trusted proxy's header, so two
// APNs sharing a private pool never see each other's sessions.
import type { HmacKey } from '../config/keys.ts'
import type { Kysely } from 'kysely'
import type { IdentificationConfig } from '../config/load-config.ts'
import type { Database } from '../db/schema.ts'
import type { Account } from '../recharge/ports.ts'
import { findActiveSessionByAddress } from '../db/sessions.ts'
import { findActiveIpv4Session, findActiveIpv4SessionsWithAccounts, findActiveIpv4SessionWithAccount, type Ipv4Lookup, type SessionKey } from '../db/session-lines.ts'
import { createLookupBatcher } from '../db/lookup-batcher.ts'
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
      /**
       * The line's account in the built-in ledger, read in the same statement as the session
       * (identify with `withAccount`); absent when not read that way: ask billing.
       */
      account?: Account | null
    }
  | { identified: false; realm: string; address: string; reason: 'no_session' | 'session_without_msisdn' }

/** Where a request comes from: the client address, its realm, and whether a trusted proxy relayed it. */
export interface Located {
  address: string
  realm: string
  viaTrustedProxy: boolean
}

/** The identification service. */
export interface Identifier {
  identify(facts: RequestFacts, options?: IdentifyOptions): Promise<Identification>
  /** Address and realm only (no database work), for the catch-all redirect. */
  locate(facts: RequestFacts): Located
}

/** How much to read along with the line. */
export interface IdentifyOptions {
  /** Also read the line's account when the built-in ledger shares the database (one round trip for a page). */
  withAccount?: boolean
}

/** What the identifier needs. */
export interface IdentifierDeps {
  db: Kysely<Database>
  /** The configuration, or a function returning the one in force (operator settings change it live). */
  config: IdentificationConfig | (() => IdentificationConfig)
  redirectTokenKey: HmacKey
  /** Sessions unseen for longer than this are not trusted (ms). */
  sessionMaxAgeMs: number
  /** The built-in ledger's lines live in `db`: identify may join them (withAccount). */
  ledgerInDatabase?: boolean
}

// Lookups one page statement carries at most, and page statements out at once: under load, pages
// gather behind the statements out instead of each taking a pool connection of its own.
const MAX_BATCH = 64
const MAX_BATCHES_IN_FLIGHT = 4

// Only what PostgreSQL's inet surely accepts may share a statement: one bad value would fail
// every page in the batch.
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

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

  // The listener addresses are the host's own, a handful: canonicalised once each.
  const localKeys = new Map<string, string | undefined>()
  function localKey(localAddress: string): string | undefined {
    if (localKeys.has(localAddress)) return localKeys.get(localAddress)
    const key = listenerKey(localAddress)
    if (localKeys.size < 256) localKeys.set(localAddress, key)
    return key
  }

  // A request's facts are located by the rate limiter, identify() and the page: once per facts
  // object and configuration in force.
  const located = new WeakMap<RequestFacts, { config: IdentificationConfig; where: Located }>()
  function locate(facts: RequestFacts): Located {
    const config = current()
    const known = located.get(facts)
    if (known !== undefined && known.config === config) return known.where
    const where = locateNow(facts, config)
    located.set(facts, { config, where })
    return where
  }

  function locateNow(facts: RequestFacts, config: IdentificationConfig): Located {
    const { realmsByListener, defaultRealm, realmHeader } = config
    const trusted = trustedProxies(config.trustedProxies)
    const client = clientAddress(facts.socketAddress, facts.headers['x-forwarded-for'], trusted)
    let realm: string | undefined
    if (client.viaTrustedProxy && realmHeader !== '') {
      const claimed = header(facts.headers, realmHeader)?.trim()
      if (claimed && /^[A-Za-z0-9._-]{1,64}$/.test(claimed)) realm = claimed
    }
    if (realm === undefined) {
      const local = localKey(facts.localAddress)
      if (local !== undefined) realm = realmsByListener[`${local} ${facts.localPort}`] ?? realmsByListener[local]
    }
    return { address: client.address, realm: realm ?? defaultRealm, viaTrustedProxy: client.viaTrustedProxy }
  }

  // Pages asked for in the same turn of the event loop share one statement (lookup-batcher.ts).
  const withAccountBatched = createLookupBatcher({
    one: (l: Ipv4Lookup) => findActiveIpv4SessionWithAccount(deps.db, l.realm, l.address, l.seenSince),
    many: (lookups: readonly Ipv4Lookup[]) => findActiveIpv4SessionsWithAccounts(deps.db, lookups),
    maxBatch: MAX_BATCH,
    maxInFlight: MAX_BATCHES_IN_FLIGHT,
  })

  async function bySession(realm: string, address: string, how: IdentifiedBy, withAccount: boolean): Promise<Identification> {
    const seenSince = new Date(Date.now() - deps.sessionMaxAgeMs)
    let session: SessionKey | undefined
    let account: Account | null | undefined
    if (address.includes(':')) {
      session = await findActiveSessionByAddress(deps.db, realm, address, seenSince)
    } else if (withAccount && deps.ledgerInDatabase === true) {
      const found = DOTTED_QUAD.test(address)
        ? await withAccountBatched({ realm, address, seenSince })
        : await findActiveIpv4SessionWithAccount(deps.db, realm, address, seenSince)
      session = found?.session
      account = found?.account
    } else {
      session = await findActiveIpv4Session(deps.db, realm, address, seenSince)
    }
    if (session === undefined) return { identified: false, realm, address, reason: 'no_session' }
    if (session.msisdn === null) return { identified: false, realm, address, reason: 'session_without_msisdn' }
    const identified: Identification = {
      identified: true,
      msisdn: session.msisdn,
      how,
      realm,
      address,
      session: { id: session.id, nasId: session.nasId, acctSessionId: session.acctSessionId },
    }
    if (account !== undefined) identified.account = account
    return identified
  }

  return {
    locate,
    async identify(facts, options) {
      const withAccount = options?.withAccount === true
      const here = locate(facts)
      if (facts.redirectToken) {
        const claims = verifyRedirectToken(deps.redirectTokenKey, facts.redirectToken)
        if (claims !== undefined) return bySession(claims.realm, claims.address, 'token', withAccount)
      }
      if (here.viaTrustedProxy) {
        const { enrichmentHeaders, countryCode } = current()
        for (const name of enrichmentHeaders) {
          const value = header(facts.headers, name)
          const msisdn = value === undefined ? null : normaliseMsisdn(value, countryCode)
          if (msisdn !== null) return { identified: true, msisdn, how: 'header', realm: here.realm, address: here.address, session: null }
        }
      }
      return bySession(here.realm, here.address, 'address', withAccount)
    },
  }
}
