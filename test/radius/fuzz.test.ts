// Property run over mutated, validly signed Accounting-Requests: nothing escapes as an exception,
// nothing is accepted under another secret, and nothing whose signed octets changed is accepted
// under the right one. Only appended padding may still verify (RFC 2865 §3). A quarter of the
// mutants get a fresh Request Authenticator, as if forged by someone who knew the secret but not
// how to redo the Message-Authenticator: a NAS that must send one is still protected.
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodePacket } from '../../src/radius/decode.ts'
import { parsePacket } from '../../src/radius/packet.ts'
import { verifyRequest } from '../../src/radius/verify-request.ts'
import { signedAccountingRequest, startAttributes } from './helpers/accounting-request.ts'
import { applyMutation, attributePool, mutationArbitrary, sameContent } from './helpers/mutations.ts'

const RUNS = Number(process.env.RADIUS_FUZZ_RUNS ?? 200_000)
const secret = Buffer.from('fuzz-shared-secret')
const otherSecret = Buffer.from('fuzz-shared-secreT')

const bases: Buffer[] = [
  signedAccountingRequest({ secret, identifier: 1, attributes: startAttributes(), messageAuthenticator: true }),
  signedAccountingRequest({
    secret,
    identifier: 2,
    attributes: startAttributes({ 'Acct-Status-Type': 'Interim-Update' }),
  }),
  signedAccountingRequest({
    secret,
    identifier: 3,
    messageAuthenticator: true,
    attributes: [
      ...startAttributes({ 'Acct-Status-Type': 'Stop', 'Acct-Terminate-Cause': 1 }),
      { name: 'Delegated-IPv6-Prefix', value: '2409:8a00:77::/48' },
      { name: '3GPP-Charging-ID', value: 99 },
      { name: '3GPP-RAT-Type', value: 6 },
      { type: 33, value: Buffer.from('proxy') },
      { vendorId: 2011, vendorType: 1, value: Buffer.from('huawei') },
      { type: 64, value: Buffer.from([1, 0, 0, 13]) },
    ],
  }),
  signedAccountingRequest({
    secret,
    identifier: 4,
    attributes: [
      { name: 'Acct-Status-Type', value: 'Accounting-On' },
      { name: 'NAS-IP-Address', value: '10.20.30.40' },
    ],
  }),
]

const pool = attributePool(bases)

/** Which base, which mutations, and a die: 0 means re-sign the Request Authenticator afterwards. */
const mutant = fc.tuple(
  fc.nat(bases.length - 1),
  fc.array(mutationArbitrary(pool.length), { minLength: 1, maxLength: 4 }),
  fc.nat(3),
)

function resigned(packet: Buffer): Buffer {
  if (packet.length < 20 || packet.readUInt16BE(2) > packet.length || packet.readUInt16BE(2) < 20) return packet
  const out = Buffer.from(packet)
  const signed = out.subarray(0, out.readUInt16BE(2))
  signed.fill(0, 4, 20)
  createHash('md5').update(signed).update(secret).digest().copy(out, 4)
  return out
}

describe('verifyRequest under mutation', () => {
  it(`neither throws nor accepts forged bytes over ${RUNS} mutated Accounting-Requests`, { timeout: 120_000 }, () => {
    const outcomes = new Map<string, number>()
    const started = performance.now()
    fc.assert(
      fc.property(mutant, ([which, mutations, dice]) => {
        const base = bases[which] ?? Buffer.alloc(0)
        const resign = dice === 0
        const edited = mutations.reduce((packet, m) => applyMutation(packet, m, pool), base)
        const mutated = resign ? resigned(edited) : edited
        const other = verifyRequest(mutated, otherSecret, { requireMessageAuthenticator: false })
        const right = verifyRequest(mutated, secret, { requireMessageAuthenticator: false })
        const strict = verifyRequest(mutated, secret, { requireMessageAuthenticator: true })
        for (const result of [other, right, strict]) {
          if (!result.ok && result.detail.startsWith('internal error')) return false
        }
        const label = `${resign ? 'resigned' : 'mutated'} ${strict.ok ? 'accepted' : strict.reason}`
        outcomes.set(label, (outcomes.get(label) ?? 0) + 1)
        const parsed = parsePacket(mutated)
        if (parsed.ok) decodePacket(parsed.packet)
        if (other.ok) return false
        if (strict.ok && !sameContent(base, mutated)) return false
        if (resign || !right.ok) return true
        // Only padding after the original, unchanged Length octets may be added.
        const signedIntact = mutated.length >= base.length && mutated.subarray(0, base.length).equals(base)
        return signedIntact && decodePacket(right.packet).code === 4
      }),
      { numRuns: RUNS },
    )
    const seconds = (performance.now() - started) / 1000
    console.info(`[radius fuzz] ${RUNS} mutated packets in ${seconds.toFixed(1)} s`, Object.fromEntries(outcomes))
    // The mutations must reach the authenticator checks, not just the structure checks.
    expect(outcomes.get('mutated bad_authenticator') ?? 0).toBeGreaterThan(RUNS / 50)
    expect(outcomes.get('resigned bad_message_authenticator') ?? 0).toBeGreaterThan(RUNS / 50)
    expect(outcomes.get('mutated malformed') ?? 0).toBeGreaterThan(RUNS / 50)
  })

  it('never throws on arbitrary datagrams', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, consistentLength) => {
        const datagram = Buffer.from(bytes)
        if (consistentLength && datagram.length >= 4) datagram.writeUInt16BE(datagram.length, 2)
        const result = verifyRequest(datagram, secret, { requireMessageAuthenticator: false })
        const parsed = parsePacket(datagram)
        if (parsed.ok) decodePacket(parsed.packet)
        return !result.ok && !result.detail.startsWith('internal error')
      }),
      { numRuns: 20_000 },
    )
  })
})
