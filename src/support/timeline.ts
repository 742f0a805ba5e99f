// An attempt's whole story for support, oldest first: how the line was identified, every state
// change with its detail (payment, webhook, credit), each RADIUS exchange decoded and in hex, and
// the accounting the line produced afterwards (proof the network let it back in). Numbers are
// masked throughout unless the viewer's role holds 'msisdn:full'.
import type { Kysely } from 'kysely'
import { attemptEvents, findAttempt } from '../db/attempts.ts'
import type { Database, RechargeAttempt } from '../db/schema.ts'
import { lineSessions, type SessionRow } from '../db/support.ts'
import { maskMsisdn } from '../logging/mask-msisdn.ts'
import { ErrorCause } from '../radius/values.ts'
import { redactMsisdn } from './redact-msisdn.ts'

/** A RADIUS exchange as shown on a timeline. */
export interface RadiusView {
  kind: string
  nas: string
  outcome: string
  request: { codeName: string; identifier: number; attributes: unknown }
  requestHex: string
  sentAt: string[]
  response: { codeName: string; identifier: number; attributes: unknown; hex: string; receivedAt: string } | null
  ignored: string[]
}

/** One line of the timeline. */
export interface TimelineEvent {
  at: Date
  kind: string
  detail: unknown
  radius: RadiusView | null
}

/** The attempt with its timeline and the accounting seen after it started. */
export interface Timeline {
  /** The attempt; `msisdn` is masked unless the viewer may see it whole. */
  attempt: RechargeAttempt
  events: TimelineEvent[]
  accountingAfter: SessionRow[]
}

const CAUSE_NAMES = new Map<number, string>(Object.entries(ErrorCause).map(([name, code]) => [code, name]))

/** "NAK, Error-Cause 503 SessionContextNotFound" and the like. */
export function outcomeText(outcome: { kind?: string; errorCause?: number | null } | undefined): string {
  if (outcome?.kind === 'nak') return outcome.errorCause == null ? 'NAK without Error-Cause' : `NAK, Error-Cause ${outcome.errorCause} ${CAUSE_NAMES.get(outcome.errorCause) ?? ''}`.trim()
  return outcome?.kind === undefined ? 'unknown' : outcome.kind.toUpperCase()
}

/** The radius view of an event detail recorded from a DynamicAuthorizationExchange, or null. */
export function radiusView(detail: unknown): RadiusView | null {
  const e = detail as Record<string, any> | null
  if (e === null || typeof e !== 'object' || typeof e.requestHex !== 'string' || typeof e.request !== 'object') return null
  return {
    kind: String(e.kind),
    nas: String(e.nas),
    outcome: outcomeText(e.outcome),
    request: { codeName: e.request.codeName, identifier: e.request.identifier, attributes: e.request.attributes },
    requestHex: e.requestHex,
    sentAt: Array.isArray(e.sentAt) ? e.sentAt : [],
    response: e.response ? { codeName: e.response.decoded?.codeName, identifier: e.response.decoded?.identifier, attributes: e.response.decoded?.attributes, hex: e.response.hex, receivedAt: e.response.receivedAt } : null,
    ignored: Array.isArray(e.ignored) ? e.ignored : [],
  }
}

/** The timeline of attempt `id` for a viewer who may (`full`) or may not see whole numbers. */
export async function attemptTimeline(db: Kysely<Database>, id: string, full: boolean): Promise<Timeline | undefined> {
  const attempt = await findAttempt(db, id)
  if (attempt === undefined) return undefined
  const rows = await attemptEvents(db, id)
  const hide = <T>(value: T): T => (full ? value : redactMsisdn(value, attempt.msisdn))
  const events = rows.map((row) => {
    const detail = hide(row.detail)
    return { at: row.at, kind: row.kind, detail, radius: row.kind === 'radius' ? radiusView(detail) : null }
  })
  const accountingAfter = await lineSessions(db, attempt.msisdn, { since: attempt.createdAt, limit: 20 })
  return {
    attempt: { ...attempt, sourceAddress: attempt.sourceAddress === null ? null : String(attempt.sourceAddress), msisdn: full ? attempt.msisdn : maskMsisdn(attempt.msisdn) },
    events,
    accountingAfter,
  }
}
