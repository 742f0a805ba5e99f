// From a verified, decoded Accounting-Request to the record the session store keeps (RFC 2866 §5,
// RFC 3162 §2.3, RFC 4818, 3GPP TS 29.061 §16.4.7). The event time is Event-Timestamp when the
// NAS sends one, else arrival minus Acct-Delay-Time, so a re-sent record (new Identifier, larger
// delay) maps to the same event and is recognised as a duplicate.
import ipaddr from 'ipaddr.js'
import type { AccountingRequest, AccountingVerdict } from '../radius/accounting-server.ts'
import { type DecodedPacket, firstValue } from '../radius/decode.ts'
import { AcctStatusType, acctStatusTypeNumber } from '../radius/values.ts'
import { createInterimMemo, type InterimMemo } from './interim-memo.ts'
import { normaliseMsisdn } from './msisdn.ts'
import type { AccountingRecord } from './session-recorder.ts'

/** The record, a status type we acknowledge without storing, or a reason to drop the packet. */
export type RecordResult =
  | { kind: 'record'; record: AccountingRecord }
  | { kind: 'ignore'; statusType: string }
  | { kind: 'invalid'; reason: 'missing_attribute' | 'invalid_attribute'; detail: string }

function text(decoded: DecodedPacket, name: string): string | null {
  const value = firstValue(decoded, name)
  return typeof value === 'string' && value !== '' ? value : null
}

function ipv4(decoded: DecodedPacket): string | null {
  const value = text(decoded, 'Framed-IP-Address')
  if (value === null || !ipaddr.IPv4.isValidFourPartDecimal(value)) return null
  // 255.255.255.254/255 mean "the NAS chooses" / "the user chooses" (RFC 2865 §5.8): no address yet.
  return value === '255.255.255.254' || value === '255.255.255.255' || value === '0.0.0.0' ? null : value
}

/** An IPv6 prefix as PostgreSQL's cidr prints it: host bits cleared, compressed form. */
export function canonicalPrefix(value: string | null): string | null {
  if (value === null) return null
  try {
    const [address, bits] = ipaddr.parseCIDR(value)
    if (address.kind() !== 'ipv6') return null
    const bytes = address.toByteArray()
    for (let i = 0; i < 16; i++) {
      const keep = Math.max(0, Math.min(8, bits - i * 8))
      bytes[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff)
    }
    return `${ipaddr.fromByteArray(bytes).toString()}/${bits}`
  } catch {
    return null
  }
}

/** Map a request of `nas` to a session record. */
export function toAccountingRecord(request: AccountingRequest, countryCode: string): RecordResult {
  const { decoded, nas } = request
  const status = acctStatusTypeNumber(firstValue(decoded, 'Acct-Status-Type'))
  if (status === undefined) return { kind: 'invalid', reason: 'missing_attribute', detail: 'no Acct-Status-Type' }
  const eventTime = eventTimeOf(decoded, request.receivedAt)
  if (status === AcctStatusType.AccountingOn || status === AcctStatusType.AccountingOff) {
    // Everything the NAS started up to this instant is gone; the recorder applies this in arrival
    // order, so a Start that arrives after it (even within the same second) survives.
    const at = new Date(Math.max(eventTime.getTime(), request.receivedAt.getTime() - delayMs(decoded)))
    return { kind: 'record', record: { kind: status === AcctStatusType.AccountingOn ? 'accounting-on' : 'accounting-off', nasId: nas.id, eventTime: at } }
  }
  const kind = status === AcctStatusType.Start ? 'start' : status === AcctStatusType.Stop ? 'stop' : status === AcctStatusType.InterimUpdate ? 'interim' : null
  if (kind === null) return { kind: 'ignore', statusType: String(firstValue(decoded, 'Acct-Status-Type')) }
  const acctSessionId = text(decoded, 'Acct-Session-Id')
  if (acctSessionId === null) return { kind: 'invalid', reason: 'missing_attribute', detail: 'no Acct-Session-Id' }
  const calling = text(decoded, 'Calling-Station-Id')
  const terminate = firstValue(decoded, 'Acct-Terminate-Cause')
  return {
    kind: 'record',
    record: {
      kind,
      nasId: nas.id,
      realm: nas.realm,
      acctSessionId,
      msisdn: calling === null ? null : normaliseMsisdn(calling, countryCode),
      imsi: text(decoded, '3GPP-IMSI'),
      framedIp: ipv4(decoded),
      framedIpv6Prefix: canonicalPrefix(text(decoded, 'Framed-IPv6-Prefix')),
      delegatedIpv6Prefix: canonicalPrefix(text(decoded, 'Delegated-IPv6-Prefix')),
      eventTime,
      stopReason: kind === 'stop' ? (terminate === undefined ? 'stop' : `stop:${String(terminate)}`) : null,
    },
  }
}

function eventTimeOf(decoded: DecodedPacket, receivedAt: Date): Date {
  const stamp = firstValue(decoded, 'Event-Timestamp')
  if (typeof stamp === 'number' && stamp > 0) return new Date(stamp * 1000)
  // Whole seconds: the same record re-sent later with a larger Acct-Delay-Time lands on the same instant.
  return new Date(Math.floor((receivedAt.getTime() - delayMs(decoded)) / 1000) * 1000)
}

function delayMs(decoded: DecodedPacket): number {
  const delay = firstValue(decoded, 'Acct-Delay-Time')
  return typeof delay === 'number' && delay > 0 ? delay * 1000 : 0
}

/** The handler, and the quick path for Interim-Updates whose mapping bytes were decoded before. */
export interface AccountingHandlers {
  handle(request: AccountingRequest): Promise<AccountingVerdict>
  quick(request: Omit<AccountingRequest, 'decoded'>): Promise<AccountingVerdict> | undefined
  memo: InterimMemo
}

/**
 * What the accounting server calls for each verified request: map, store, then answer; and the
 * quick path, with an Interim memo of at most `memoSize` mappings (interim-memo.ts).
 */
export function createAccountingHandlers(recorder: { record(record: AccountingRecord): Promise<string> }, countryCode: string, memoSize: number): AccountingHandlers {
  const memo = createInterimMemo(memoSize)
  return {
    memo,
    async handle(request) {
      const result = toAccountingRecord(request, countryCode)
      if (result.kind === 'invalid') return { answer: false, reason: result.reason, detail: result.detail }
      if (result.kind === 'ignore') return { answer: true, outcome: 'ignored', statusType: result.statusType }
      const outcome = await recorder.record(result.record)
      memo.remember(request.nas, request.packet, result.record)
      return { answer: true, outcome, statusType: result.record.kind }
    },
    quick(request) {
      const record = memo.lookup(request.nas, request.packet, request.receivedAt)
      if (record === undefined) return undefined
      return recorder.record(record).then((outcome) => ({ answer: true, outcome, statusType: record.kind }))
    },
  }
}
