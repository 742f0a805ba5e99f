// Hex dumps of packets for support timelines ("show me the RADIUS packets"). RFC 2865 §3 caps a
// packet at 4096 octets, so a dump is at most 256 lines; larger inputs are cut with a note.

const BYTES_PER_LINE = 16
const MAX_DUMP_BYTES = 4096

function printable(octet: number): string {
  return octet >= 0x20 && octet < 0x7f ? String.fromCharCode(octet) : '.'
}

/** A canonical hex dump: offset, 16 octets in two groups of 8, and their printable ASCII. */
export function hexDump(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, MAX_DUMP_BYTES)
  const lines: string[] = []
  for (let offset = 0; offset < shown.length; offset += BYTES_PER_LINE) {
    const row = Array.from(shown.subarray(offset, offset + BYTES_PER_LINE))
    const hex = row.map((octet) => octet.toString(16).padStart(2, '0'))
    const left = hex.slice(0, 8).join(' ').padEnd(23)
    const right = hex.slice(8).join(' ').padEnd(23)
    const text = row.map(printable).join('')
    lines.push(`${offset.toString(16).padStart(4, '0')}  ${left}  ${right}  |${text}|`)
  }
  if (bytes.length > shown.length) lines.push(`… ${bytes.length - shown.length} more octets not shown`)
  return lines.join('\n')
}
