// Mutations of valid RADIUS packets for property runs: bit flips, byte overwrites, truncation,
// extension, a rewritten Length field, and splicing whole attributes (valid ones taken from real
// packets, and the malformed shapes an attacker would try) in at attribute boundaries.
import fc from 'fast-check'
import { parsePacket } from '../../../src/radius/packet.ts'

/** One edit to a datagram. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; to: number }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'splice'; at: number; pick: number; remove: number; fixLength: boolean }
  | { kind: 'length'; value: number }

/** Malformed attributes: type 0, lengths 0, 1 and past the end, bad 3GPP and IPv6 values, a zero MA. */
const HOSTILE_ATTRIBUTES: readonly Buffer[] = [
  Buffer.from([80, 18, ...new Array<number>(16).fill(0)]),
  Buffer.from([0, 3, 1]),
  Buffer.from([1, 0]),
  Buffer.from([1, 1]),
  Buffer.from([1, 255, 1, 2]),
  Buffer.from([26, 7, 0, 0, 0x28, 0xaf, 1]),
  Buffer.from([26, 10, 0, 0, 0x28, 0xaf, 2, 4, 0, 1]),
  Buffer.from([97, 4, 0, 200]),
  Buffer.from([64, 2]),
  Buffer.from([81, 2]),
  Buffer.from([101, 5, 0, 1, 247]),
]

/** Every attribute of `packets` as wire bytes, plus the hostile shapes. */
export function attributePool(packets: readonly Buffer[]): Buffer[] {
  const valid = packets.flatMap((packet) => {
    const parsed = parsePacket(packet)
    if (!parsed.ok) return []
    return parsed.packet.attributes.map((a) => packet.subarray(a.offset, a.offset + 2 + a.value.length))
  })
  return [...valid, ...HOSTILE_ATTRIBUTES]
}

/** Arbitrary mutations, splicing from a pool of `poolSize` attributes. */
export function mutationArbitrary(poolSize: number): fc.Arbitrary<Mutation> {
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(400), bit: fc.nat(7) }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(400), value: fc.nat(255) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('truncate' as const), to: fc.nat(400) }), weight: 2 },
    {
      arbitrary: fc.record({
        kind: fc.constant('extend' as const),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('splice' as const),
        at: fc.nat(400),
        pick: fc.nat(poolSize - 1),
        remove: fc.nat(2),
        fixLength: fc.boolean(),
      }),
      weight: 4,
    },
    { arbitrary: fc.record({ kind: fc.constant('length' as const), value: fc.nat(0xffff) }), weight: 1 },
  )
}

function boundaries(packet: Buffer): number[] {
  const parsed = parsePacket(packet)
  if (!parsed.ok) return [20]
  return [...parsed.packet.attributes.map((a) => a.offset), parsed.packet.bytes.length]
}

/** Apply one mutation to a copy of `packet`. */
export function applyMutation(packet: Buffer, m: Mutation, pool: readonly Buffer[]): Buffer {
  const out = Buffer.from(packet)
  switch (m.kind) {
    case 'flip':
      if (out.length > 0) out[m.at % out.length] = (out[m.at % out.length] ?? 0) ^ (1 << m.bit)
      return out
    case 'set':
      if (out.length > 0) out[m.at % out.length] = m.value
      return out
    case 'truncate':
      return out.subarray(0, m.to % (out.length + 1))
    case 'extend':
      return Buffer.concat([out, m.bytes])
    case 'length':
      if (out.length >= 4) out.writeUInt16BE(m.value, 2)
      return out
    case 'splice': {
      const cuts = boundaries(out)
      const at = cuts[m.at % cuts.length] ?? 20
      const end = cuts[Math.min(cuts.indexOf(at) + m.remove, cuts.length - 1)] ?? at
      const spliced = Buffer.concat([out.subarray(0, at), pool[m.pick] ?? Buffer.alloc(0), out.subarray(end)])
      if (m.fixLength && spliced.length >= 4 && spliced.length <= 0xffff) spliced.writeUInt16BE(spliced.length, 2)
      return spliced
    }
  }
}

/** Same header (bar the authenticator) and attributes as `base`, plus any padding. */
export function sameContent(base: Buffer, candidate: Buffer): boolean {
  return (
    candidate.length >= base.length &&
    candidate.subarray(0, 4).equals(base.subarray(0, 4)) &&
    candidate.subarray(20, base.length).equals(base.subarray(20))
  )
}
