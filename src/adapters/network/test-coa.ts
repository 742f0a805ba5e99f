// One hand-made CoA (or Disconnect) to a configured NAS, for operators checking a NAS's CoA set-up
// (the `test-coa` command and the console's "send test CoA"): the session named by the operator,
// plus the NAS's lift-profile attributes on a CoA, and the whole exchange back.
import type { AttributeInput } from '../../radius/attribute-encoder.ts'
import { createDynamicAuthorizationClient, type DynamicAuthorizationClient, type DynamicAuthorizationExchange, type RetransmitSchedule } from '../../radius/dynamic-authorization-client.ts'

/** The NAS fields a test CoA needs (a nas_clients row has them). */
export interface TestCoaNas {
  address: string
  secret: string
  coaHost: string | null
  coaPort: number
  coaAttributes: readonly { name: string; value: string | number }[] | unknown
}

/** Which session to name. */
export interface TestCoaTarget {
  acctSessionId: string
  framedIp?: string | undefined
  msisdn?: string | undefined
  disconnect: boolean
}

/** Send one test request to `nas` and return the exchange (never throws on NAK or silence). */
export async function sendTestCoa(client: DynamicAuthorizationClient, nas: TestCoaNas, target: TestCoaTarget): Promise<DynamicAuthorizationExchange> {
  const attributes: AttributeInput[] = [{ name: 'Acct-Session-Id', value: target.acctSessionId }]
  if (target.framedIp) attributes.push({ name: 'Framed-IP-Address', value: target.framedIp })
  if (target.msisdn) attributes.push({ name: 'Calling-Station-Id', value: target.msisdn })
  if (!target.disconnect && Array.isArray(nas.coaAttributes)) {
    for (const a of nas.coaAttributes as { name: string; value: string | number }[]) attributes.push({ name: a.name, value: String(a.value) })
  }
  const host = nas.coaHost ?? nas.address.replace(/\/\d+$/, '')
  return client.send({ kind: target.disconnect ? 'disconnect' : 'coa', host, port: nas.coaPort, secret: Buffer.from(nas.secret), attributes })
}

/** "ACK", "NAK (Error-Cause 503)" or "TIMEOUT". */
export function describeOutcome(exchange: DynamicAuthorizationExchange): string {
  const outcome = exchange.outcome
  return outcome.kind === 'nak' ? `NAK (Error-Cause ${outcome.errorCause ?? 'none'})` : outcome.kind.toUpperCase()
}

/**
 * For someone waiting on a page: 3 sends within 5 s instead of RFC 5080's 30 s (a NAS that
 * answers at all answers in milliseconds; the lift job keeps the full schedule).
 */
export const INTERACTIVE_SCHEDULE: RetransmitSchedule = { initialMs: 1000, maxIntervalMs: 2000, maxSends: 3, deadlineMs: 5000 }

/** Send one test request on a client of its own (opened and closed here). */
export async function sendTestCoaOnce(nas: TestCoaNas, target: TestCoaTarget, schedule: RetransmitSchedule = INTERACTIVE_SCHEDULE): Promise<DynamicAuthorizationExchange> {
  const client = await createDynamicAuthorizationClient({ schedule })
  try {
    return await sendTestCoa(client, nas, target)
  } finally {
    await client.close()
  }
}
