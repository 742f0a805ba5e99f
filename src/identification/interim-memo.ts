// Most accounting traffic is Interim-Updates that repeat, byte for byte, the attributes that name
// a session and its address; only counters and times move. Decoding every one through the
// dictionary cost about a quarter of the CPU an Interim takes. The record an Interim maps to is
// a pure function of its NAS (id and realm), of the raw bytes of the attributes toAccountingRecord
// reads for the mapping, and of its event time. So once an Interim with given bytes has been
// decoded and mapped, a later Interim with the same bytes is mapped from memory: the same record
// with its own event time (Event-Timestamp, else arrival minus Acct-Delay-Time, as
// toAccountingRecord computes it). The recorder then treats it exactly as before. Any difference
// in those bytes — a new address, another number, a vendor attribute that changed — is a miss
// and takes the full decode.
import { Attribute } from '../radius/dictionary.ts'
import type { RadiusPacket } from '../radius/packet.ts'
import { AcctStatusType } from '../radius/values.ts'
import type { AccountingRecord } from './session-recorder.ts'

/** Acct-Delay-Time (RFC 2866 §5.2). */
const ACCT_DELAY_TIME = 41

/** The attributes whose bytes decide an Interim's record, besides its event time. */
const MAPPING = new Set<number>([
  Attribute.FramedIpAddress,
  Attribute.VendorSpecific, // 3GPP-IMSI (and anything else a vendor sends: a change is only a miss)
  Attribute.CallingStationId,
  Attribute.AcctSessionId,
  Attribute.FramedIpv6Prefix,
  Attribute.DelegatedIpv6Prefix,
])

/** The memo. */
export interface InterimMemo {
  /** The record for `packet` when it is an Interim-Update whose mapping was seen; else undefined. */
  lookup(nas: { id: number; realm: string }, packet: RadiusPacket, receivedAt: Date): AccountingRecord | undefined
  /** Remember what an Interim-Update decoded to (call only with a record from toAccountingRecord of `packet`). */
  remember(nas: { id: number; realm: string }, packet: RadiusPacket, record: AccountingRecord): void
  size(): number
}

function first(packet: RadiusPacket, type: number): Buffer | undefined {
  for (const attribute of packet.attributes) if (attribute.type === type) return attribute.value
  return undefined
}

function isInterim(packet: RadiusPacket): boolean {
  const status = first(packet, Attribute.AcctStatusType)
  return status !== undefined && status.length === 4 && status.readUInt32BE(0) === AcctStatusType.InterimUpdate
}

/** What toAccountingRecord takes as the event time, from the raw attributes. */
export function rawEventTime(packet: RadiusPacket, receivedAt: Date): Date {
  const stamp = first(packet, Attribute.EventTimestamp)
  if (stamp !== undefined && stamp.length === 4 && stamp.readUInt32BE(0) > 0) return new Date(stamp.readUInt32BE(0) * 1000)
  const delay = first(packet, ACCT_DELAY_TIME)
  const delayMs = delay !== undefined && delay.length === 4 ? delay.readUInt32BE(0) * 1000 : 0
  return new Date(Math.floor((receivedAt.getTime() - delayMs) / 1000) * 1000)
}

function fingerprint(nas: { id: number; realm: string }, packet: RadiusPacket): string {
  let key = `${nas.id}\u0000${nas.realm}`
  for (const attribute of packet.attributes) {
    if (MAPPING.has(attribute.type)) key += `\u0000${attribute.type}:${attribute.value.toString('latin1')}`
  }
  return key
}

/** A memo of at most `max` mappings (the oldest fall out first; 0 keeps nothing). */
export function createInterimMemo(max: number): InterimMemo {
  const seen = new Map<string, AccountingRecord>()
  return {
    lookup(nas, packet, receivedAt) {
      if (max <= 0 || !isInterim(packet)) return undefined
      const record = seen.get(fingerprint(nas, packet))
      return record === undefined ? undefined : { ...record, eventTime: rawEventTime(packet, receivedAt) }
    },
    remember(nas, packet, record) {
      if (max <= 0 || record.kind !== 'interim' || !isInterim(packet)) return
      const key = fingerprint(nas, packet)
      seen.delete(key)
      seen.set(key, record)
      if (seen.size > max) seen.delete(seen.keys().next().value!)
    },
    size: () => seen.size,
  }
}
