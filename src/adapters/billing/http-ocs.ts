// The carrier's OCS over REST. A credit carries the attempt's idempotency key; a timeout or a
// broken connection means "unknown outcome", never "failed": the credit job looks the key up
// before it tries again, so a credit whose answer was lost is never applied twice.
//   GET  {account}  → { msisdn, balance_minor, currency, status, suspension_reason, restore_threshold_minor }
//   POST {credit}   { amount_minor, currency, idempotency_key, reference } → { credit_id, balance_minor, status }
//   GET  {lookup}   → 200 { credit_id, balance_minor, status } | 404 when no credit has that key
import type { Account, BillingPort, SuspensionReason } from '../../recharge/ports.ts'

/** OCS connection settings. */
export interface OcsSettings {
  url: string
  token: string
  timeoutMs: number
  paths: { account: string; credit: string; lookup: string }
}

/** The result of a credit request. */
export type OcsCreditResult =
  | { kind: 'credited'; creditId: string; balanceMinor: number; status: 'active' | 'suspended' }
  | { kind: 'unknown'; reason: string }
  | { kind: 'rejected'; status: number; reason: string }

/** The OCS adapter: the billing port plus credit and lookup. */
export interface HttpOcs extends BillingPort {
  credit(input: { msisdn: string; amountMinor: number; currency: string; idempotencyKey: string; reference: string }): Promise<OcsCreditResult>
  /** The credit with `idempotencyKey`, null when the OCS has none; throws when the OCS cannot say. */
  lookupCredit(idempotencyKey: string): Promise<Extract<OcsCreditResult, { kind: 'credited' }> | null>
}

const REASONS: readonly SuspensionReason[] = ['arrears', 'fraud', 'administrative', 'other']

function path(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(values[k] ?? ''))
}

function credited(body: Record<string, unknown>): Extract<OcsCreditResult, { kind: 'credited' }> {
  return {
    kind: 'credited',
    creditId: String(body.credit_id),
    balanceMinor: Number(body.balance_minor),
    status: body.status === 'active' ? 'active' : 'suspended',
  }
}

/** Create the adapter. */
export function createHttpOcs(settings: OcsSettings): HttpOcs {
  const headers = { authorization: `Bearer ${settings.token}`, 'content-type': 'application/json', accept: 'application/json' }
  const request = (p: string, init: RequestInit = {}) => fetch(`${settings.url}${p}`, { ...init, headers, signal: AbortSignal.timeout(settings.timeoutMs) })

  return {
    async getAccount(msisdn): Promise<Account | null> {
      const res = await request(path(settings.paths.account, { msisdn }))
      if (res.status === 404) return null
      if (!res.ok) throw new Error(`OCS answered ${res.status} for an account`)
      const b = (await res.json()) as Record<string, unknown>
      const reason = REASONS.find((r) => r === b.suspension_reason) ?? null
      return {
        msisdn,
        balanceMinor: Number(b.balance_minor),
        currency: String(b.currency),
        status: b.status === 'active' ? 'active' : 'suspended',
        suspensionReason: b.status === 'active' ? null : (reason ?? 'other'),
        restoreThresholdMinor: Number(b.restore_threshold_minor ?? 0),
      }
    },
    async credit(input) {
      let res: Response
      try {
        res = await request(path(settings.paths.credit, { msisdn: input.msisdn }), {
          method: 'POST',
          body: JSON.stringify({ amount_minor: input.amountMinor, currency: input.currency, idempotency_key: input.idempotencyKey, reference: input.reference }),
        })
      } catch (err) {
        return { kind: 'unknown', reason: `no answer from the OCS: ${(err as Error).message}` }
      }
      if (res.status >= 500) return { kind: 'unknown', reason: `OCS answered ${res.status}` }
      if (!res.ok) return { kind: 'rejected', status: res.status, reason: (await res.text().catch(() => '')).slice(0, 200) }
      try {
        return credited((await res.json()) as Record<string, unknown>)
      } catch (err) {
        return { kind: 'unknown', reason: `unreadable OCS answer: ${(err as Error).message}` }
      }
    },
    async lookupCredit(idempotencyKey) {
      const res = await request(path(settings.paths.lookup, { key: idempotencyKey }))
      if (res.status === 404) return null
      if (!res.ok) throw new Error(`OCS answered ${res.status} to a credit lookup`)
      return credited((await res.json()) as Record<string, unknown>)
    },
  }
}
