// The network port over RFC 5176: per-NAS lift profile — 'coa' sends a CoA-Request with the
// profile's attributes (RFC 5176 §3.2: the session is named by Acct-Session-Id, Framed-IP-Address
// and Calling-Station-Id), 'disconnect' sends a Disconnect-Request so the line re-attaches and is
// authorised afresh, 'none' trusts the OCS to restore service itself. A CoA that is NAKed (other
// than 503/506) or not answered falls back to Disconnect. Error-Cause 503 (session context not
// found) means there is no session left to restore; 506 (resources unavailable) means try later.
import type { AttributeInput } from '../../radius/attribute-encoder.ts'
import type { DynamicAuthorizationClient, DynamicAuthorizationExchange } from '../../radius/dynamic-authorization-client.ts'
import type { NasDirectory, NasEntry } from '../../radius/nas-directory.ts'
import { ErrorCause } from '../../radius/values.ts'
import type { DisconnectOutcome, NetworkPort, RestoreOutcome, RestoreTarget } from '../../recharge/ports.ts'

function describe(exchanges: DynamicAuthorizationExchange[]): string {
  return exchanges.map((e) => `${e.kind}: ${e.outcome.kind === 'nak' ? `NAK ${e.outcome.errorCause ?? 'without Error-Cause'}` : e.outcome.kind}`).join(', ')
}

/** Create the RADIUS network adapter. */
export function createRadiusNetwork(deps: { directory: NasDirectory; client: DynamicAuthorizationClient }): NetworkPort {
  function sessionAttributes(target: RestoreTarget): AttributeInput[] {
    const attributes: AttributeInput[] = [
      { name: 'Acct-Session-Id', value: target.acctSessionId },
      { name: 'Calling-Station-Id', value: target.msisdn },
    ]
    if (target.framedIp !== null) attributes.push({ name: 'Framed-IP-Address', value: target.framedIp })
    return attributes
  }

  async function send(nas: NasEntry, kind: 'coa' | 'disconnect', attributes: AttributeInput[]): Promise<DynamicAuthorizationExchange> {
    const host = nas.coaHost ?? nas.address.replace(/\/\d+$/, '')
    return deps.client.send({ kind, host, port: nas.coaPort, secret: nas.secret, attributes })
  }

  function judge(exchange: DynamicAuthorizationExchange): RestoreOutcome | 'fallback' {
    const outcome = exchange.outcome
    if (outcome.kind === 'ack') return { kind: 'restored', how: exchange.kind }
    if (outcome.kind === 'nak' && outcome.errorCause === ErrorCause.SessionContextNotFound) return { kind: 'restored', how: 'session-gone' }
    if (outcome.kind === 'nak' && outcome.errorCause === ErrorCause.ResourcesUnavailable) return { kind: 'retry-later', reason: 'NAS answered 506 Resources Unavailable' }
    return 'fallback'
  }

  return {
    async restoreService(target) {
      const nas = deps.directory.list().find((n) => n.id === target.nasId)
      if (nas === undefined) return { outcome: { kind: 'failed', reason: `NAS ${target.nasId} is no longer configured` }, exchanges: [] }
      if (nas.liftProfile === 'none') return { outcome: { kind: 'restored', how: 'none' }, exchanges: [] }
      const exchanges: DynamicAuthorizationExchange[] = []
      if (nas.liftProfile === 'coa') {
        const extra = nas.coaAttributes.map((a) => ({ name: a.name, value: a.value }))
        const coa = await send(nas, 'coa', [...sessionAttributes(target), ...extra])
        exchanges.push(coa)
        const verdict = judge(coa)
        if (verdict !== 'fallback') return { outcome: verdict, exchanges }
      }
      const disconnect = await send(nas, 'disconnect', sessionAttributes(target))
      exchanges.push(disconnect)
      const verdict = judge(disconnect)
      if (verdict !== 'fallback') return { outcome: verdict, exchanges }
      return { outcome: { kind: 'failed', reason: describe(exchanges) }, exchanges }
    },
    async disconnect(target) {
      const nas = deps.directory.list().find((n) => n.id === target.nasId)
      if (nas === undefined) return { outcome: { kind: 'failed', reason: `NAS ${target.nasId} is no longer configured` }, exchanges: [] }
      const exchange = await send(nas, 'disconnect', sessionAttributes(target))
      const answer = exchange.outcome
      let outcome: DisconnectOutcome
      if (answer.kind === 'ack') outcome = { kind: 'disconnected', how: 'ack' }
      else if (answer.kind === 'nak' && answer.errorCause === ErrorCause.SessionContextNotFound) outcome = { kind: 'disconnected', how: 'session-gone' }
      else outcome = { kind: 'failed', reason: describe([exchange]) }
      return { outcome, exchanges: [exchange] }
    },
  }
}
