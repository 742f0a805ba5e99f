// Property run over mutated CoA and Disconnect ACKs and NAKs (the responses the `radius` package
// let forgeries through for): no exception, nothing accepted under another secret or for another
// request, and nothing accepted whose signed octets changed.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildCoaRequest, buildDisconnectRequest, type SignedRequest } from '../../src/radius/build-request.ts'
import { buildResponse, type ResponseOptions } from '../../src/radius/build-response.ts'
import { PacketCode } from '../../src/radius/codes.ts'
import { decodePacket } from '../../src/radius/decode.ts'
import { parsePacket, type RadiusPacket } from '../../src/radius/packet.ts'
import { verifyResponse } from '../../src/radius/verify-response.ts'
import { applyMutation, attributePool, mutationArbitrary } from './helpers/mutations.ts'

const RUNS = Number(process.env.RADIUS_FUZZ_RESPONSE_RUNS ?? 50_000)
const secret = Buffer.from('nas-secret')
const otherSecret = Buffer.from('nas-secreu')
const session = { secret, attributes: [{ name: 'Acct-Session-Id', value: 'abc' }], eventTimestamp: new Date(0) }
const coa = buildCoaRequest({ ...session, identifier: 10 })
const disconnect = buildDisconnectRequest({ ...session, identifier: 11 })

function asPacket(request: SignedRequest): RadiusPacket {
  const parsed = parsePacket(request.bytes)
  if (!parsed.ok) throw new Error(parsed.detail)
  return parsed.packet
}

const nak = [{ name: 'Error-Cause', value: 'Session-Context-Not-Found' }]
const cases: Array<{ request: SignedRequest; response: Buffer }> = [
  { request: coa, code: PacketCode.CoaAck, options: {} },
  { request: coa, code: PacketCode.CoaAck, options: { messageAuthenticator: 'request-authenticator' } },
  { request: coa, code: PacketCode.CoaNak, options: { attributes: nak, messageAuthenticator: 'zeroed-authenticator' } },
  {
    request: disconnect,
    code: PacketCode.DisconnectNak,
    options: { attributes: nak, messageAuthenticator: 'request-authenticator' },
  },
  { request: disconnect, code: PacketCode.DisconnectAck, options: { attributes: nak } },
].map(({ request, code, options }) => ({
  request,
  response: buildResponse(asPacket(request), code, secret, options as ResponseOptions),
}))
const pool = attributePool(cases.map((c) => c.response))
const mutations = fc.array(mutationArbitrary(pool.length), { minLength: 1, maxLength: 4 })
const mutant = fc.tuple(fc.nat(cases.length - 1), mutations)

describe('verifyResponse under mutation', () => {
  it(`neither throws nor accepts forged bytes over ${RUNS} mutated ACKs and NAKs`, { timeout: 60_000 }, () => {
    let accepted = 0
    fc.assert(
      fc.property(mutant, ([which, edits]) => {
        const { request, response } = cases[which] ?? { request: coa, response: Buffer.alloc(0) }
        const mutated = edits.reduce((packet, m) => applyMutation(packet, m, pool), response)
        const other = verifyResponse(mutated, request, otherSecret)
        const wrongRequest = verifyResponse(mutated, request === coa ? disconnect : coa, secret)
        const right = verifyResponse(mutated, request, secret)
        for (const result of [other, wrongRequest, right]) {
          if (!result.ok && result.detail.startsWith('internal error')) return false
        }
        const parsed = parsePacket(mutated)
        if (parsed.ok) decodePacket(parsed.packet)
        if (other.ok || wrongRequest.ok) return false
        if (!right.ok) return true
        accepted++
        return mutated.length >= response.length && mutated.subarray(0, response.length).equals(response)
      }),
      { numRuns: RUNS },
    )
    // Padding-only mutants exist, so some acceptances prove the property ran past the checks.
    expect(accepted).toBeGreaterThan(0)
  })
})
