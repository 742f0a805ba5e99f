// Support staff without 'msisdn:full' see a line's number masked everywhere on a timeline,
// including inside RADIUS packets: in decoded attributes and in hex dumps, where the number's
// ASCII octets are re-rendered with '*' for the hidden digits (the dump is otherwise unchanged).
import { nationalNumber } from '../logging/mask-msisdn.ts'
import { hexDump } from '../radius/hex-dump.ts'

/** `msisdn` with the same digits hidden as maskMsisdn hides, same length (8613800000077 → 86138****0077). */
export function maskInPlace(msisdn: string): string {
  const national = nationalNumber(msisdn)
  const keepStart = national.length >= 8 ? msisdn.length - national.length + 3 : 0
  const keepEnd = national.length >= 8 ? 4 : 2
  if (msisdn.length <= keepStart + keepEnd) return '*'.repeat(msisdn.length)
  return `${msisdn.slice(0, keepStart)}${'*'.repeat(msisdn.length - keepStart - keepEnd)}${msisdn.slice(-keepEnd)}`
}

const DUMP_LINE = /^[0-9a-f]{4} {2}/

/** The octets of a hexDump() text, or undefined when `text` is not one. */
function dumpOctets(text: string): { octets: Buffer; tail: string[] } | undefined {
  const lines = text.split('\n')
  if (!DUMP_LINE.test(lines[0] ?? '')) return undefined
  const hex: string[] = []
  const tail: string[] = []
  for (const line of lines) {
    if (!DUMP_LINE.test(line)) {
      tail.push(line)
      continue
    }
    hex.push(...line.slice(6, 6 + 48).trim().split(/\s+/).filter((h) => /^[0-9a-f]{2}$/.test(h)))
  }
  return { octets: Buffer.from(hex.join(''), 'hex'), tail }
}

function redactString(text: string, msisdn: string, masked: string): string {
  const dump = dumpOctets(text)
  if (dump === undefined) return text.split(msisdn).join(masked)
  const needle = Buffer.from(msisdn, 'ascii')
  const replacement = Buffer.from(masked, 'ascii')
  let at = dump.octets.indexOf(needle)
  while (at !== -1) {
    replacement.copy(dump.octets, at)
    at = dump.octets.indexOf(needle, at + needle.length)
  }
  return [hexDump(dump.octets), ...dump.tail].join('\n')
}

/** A copy of `value` (JSON data) with every occurrence of `msisdn` masked, in text and in hex dumps. */
export function redactMsisdn<T>(value: T, msisdn: string): T {
  if (msisdn.length < 4) return value
  const masked = maskInPlace(msisdn)
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactString(v, msisdn, masked)
    if (Array.isArray(v)) return v.map(walk)
    if (v !== null && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
    return v
  }
  return walk(value) as T
}
