// Redirect tokens: a token the gateway signed vouches for (realm, address) wherever the portal is
// reached from; anything else about a token — tampered, expired, foreign, malformed — is ignored
// and the socket address decides.
import { createHmac, randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { type RedirectClaims, signRedirectToken, verifyRedirectToken } from '../../src/identification/redirect-token.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { addNasClient, sessionRecord } from '../helpers/fixtures.ts'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const SOCKET = '198.51.100.7'
const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300
const claims = (over: Partial<RedirectClaims> = {}): RedirectClaims => ({ nasId: 1, realm: 'default', address: '10.0.0.7', exp: inFiveMinutes(), ...over })

// The same token with its last character swapped for one that differs only in the 4 padding bits
// base64url leaves unused at the end of a 16-byte MAC (22 characters carry 132 bits).
function lastCharacterVariant(token: string): string {
  const index = ALPHABET.indexOf(token.at(-1)!)
  return token.slice(0, -1) + ALPHABET[index ^ 1]
}

describe('redirect tokens on GET /api/v1/identify', () => {
  let t: TestDatabase
  let a: TestApp
  let app: FastifyInstance

  beforeAll(async () => {
    t = await createTestDatabase()
    const db = t.handle.db
    const nasDefault = await addNasClient(db, { name: 'pgw-default', address: '192.0.2.30/32', realm: 'default' })
    const nasA = await addNasClient(db, { name: 'pgw-apn-a', address: '192.0.2.31/32', realm: 'apn-a' })
    const recorder = createSessionRecorder(db, { touchAfterMs: 60_000 })
    const eventTime = new Date(Date.now() - 5_000)
    await Promise.all([
      recorder.record(sessionRecord('start', { nasId: nasDefault, realm: 'default', acctSessionId: 'tok-7', framedIp: '10.0.0.7', msisdn: '8613800000070', eventTime })),
      recorder.record(sessionRecord('start', { nasId: nasA, realm: 'apn-a', acctSessionId: 'tok-a7', framedIp: '10.0.0.7', msisdn: '8613800000071', eventTime })),
      recorder.record(sessionRecord('start', { nasId: nasDefault, realm: 'default', acctSessionId: 'tok-peer', framedIp: SOCKET, msisdn: '8613800000017', eventTime })),
    ])
    a = await buildTestApp(t.handle)
    app = a.app
  })
  afterAll(async () => {
    await a?.app.close()
    await t?.destroy()
  })

  async function identify(query: string, remoteAddress = SOCKET) {
    const res = await app.inject({ url: `/api/v1/identify?${query}`, remoteAddress })
    expect(res.statusCode).toBe(200)
    return res.json<Record<string, unknown>>()
  }
  const byToken = (token: string) => identify(`rt=${encodeURIComponent(token)}`)
  const socketDecides = { identified: true, line: '138****0017', how: 'address', address: SOCKET, realm: 'default' }

  it("identifies the token's address with how=token even when the socket address is another", async () => {
    expect(await byToken(signRedirectToken(a.keys.redirectToken, claims()))).toEqual({
      identified: true,
      line: '138****0070',
      how: 'token',
      address: '10.0.0.7',
      realm: 'default',
    })
  })

  it("looks the token's address up in the token's realm", async () => {
    expect(await byToken(signRedirectToken(a.keys.redirectToken, claims({ realm: 'apn-a' })))).toMatchObject({
      line: '138****0071',
      how: 'token',
      realm: 'apn-a',
    })
  })

  it('ignores a token with a character of its payload or signature changed', async () => {
    const token = signRedirectToken(a.keys.redirectToken, claims())
    const dot = token.indexOf('.')
    for (const position of [0, 5, dot - 1, dot + 1, dot + 10]) {
      const original = token[position]!
      const replacement = original === 'A' ? 'B' : 'A'
      expect(await byToken(token.slice(0, position) + replacement + token.slice(position + 1))).toEqual(socketDecides)
    }
  })

  it('ignores a token with the last character of its signature changed', async () => {
    const token = signRedirectToken(a.keys.redirectToken, claims())
    expect(await byToken(lastCharacterVariant(token))).toEqual(socketDecides)
  })

  it('ignores an expired token', async () => {
    const token = signRedirectToken(a.keys.redirectToken, claims({ exp: Math.floor(Date.now() / 1000) - 1 }))
    expect(await byToken(token)).toEqual(socketDecides)
  })

  it('ignores a token signed with another key, including the app\'s other purpose keys', async () => {
    expect(await byToken(signRedirectToken(randomBytes(32), claims()))).toEqual(socketDecides)
    expect(await byToken(signRedirectToken(a.keys.formToken, claims()))).toEqual(socketDecides)
    expect(await byToken(signRedirectToken(a.keys.voucherPin, claims()))).toEqual(socketDecides)
  })

  it('ignores a token with extra dots', async () => {
    const token = signRedirectToken(a.keys.redirectToken, claims())
    const [payload, signature] = token.split('.')
    for (const variant of [`${token}.`, `${token}.${signature}`, `.${token}`, `${payload}..${signature}`]) {
      expect(await byToken(variant)).toEqual(socketDecides)
    }
  })

  it('ignores an oversized token even when its signature is good', async () => {
    const token = signRedirectToken(a.keys.redirectToken, claims({ realm: 'r'.repeat(400) }))
    expect(token.length).toBeGreaterThan(512)
    expect(await byToken(token)).toEqual(socketDecides)
  })

  it('ignores a token given twice in the query', async () => {
    const token = encodeURIComponent(signRedirectToken(a.keys.redirectToken, claims()))
    expect(await identify(`rt=${token}&rt=${token}`)).toEqual(socketDecides)
  })
})

describe('verifyRedirectToken', () => {
  const key = randomBytes(32)

  it('returns the claims a token was signed with', () => {
    const signed = claims({ nasId: null, realm: 'apn-a', address: '2001:db8::7' })
    expect(verifyRedirectToken(key, signRedirectToken(key, signed))).toEqual(signed)
  })

  it('accepts a token until its expiry second and rejects it after', () => {
    const token = signRedirectToken(key, claims({ exp: 1_000 }))
    expect(verifyRedirectToken(key, token, 1_000)).toBeDefined()
    expect(verifyRedirectToken(key, token, 1_000.5)).toBeUndefined()
  })

  it('rejects every single-character change of the payload and of each signature character carrying MAC bits', () => {
    const token = signRedirectToken(key, claims())
    for (let position = 0; position < token.length - 1; position++) {
      if (token[position] === '.') continue
      // A spread of replacements per position: every seventh letter of the alphabet, offset by position.
      for (const replacement of ALPHABET.split('').filter((_, i) => i % 7 === position % 7)) {
        if (replacement === token[position]) continue
        expect(verifyRedirectToken(key, token.slice(0, position) + replacement + token.slice(position + 1))).toBeUndefined()
      }
    }
  })

  it('accepts only the exact signature string it issued', () => {
    const token = signRedirectToken(key, claims())
    const [payload, signature] = token.split('.') as [string, string]
    const variants = [lastCharacterVariant(token), `${token}=`, `${payload}.${signature.slice(0, 4)}!${signature.slice(4)}`, `${payload}.${signature.slice(0, 4)} ${signature.slice(4)}`]
    for (const variant of variants) expect(verifyRedirectToken(key, variant)).toBeUndefined()
  })

  it('rejects a token longer than 512 characters and accepts one at the limit', () => {
    let realm = 'r'
    while (signRedirectToken(key, claims({ realm: realm + 'r' })).length <= 512) realm += 'r'
    const atLimit = signRedirectToken(key, claims({ realm }))
    const over = signRedirectToken(key, claims({ realm: realm + 'r'.repeat(4) }))
    expect(atLimit.length).toBeLessThanOrEqual(512)
    expect(verifyRedirectToken(key, atLimit)).toBeDefined()
    expect(over.length).toBeGreaterThan(512)
    expect(verifyRedirectToken(key, over)).toBeUndefined()
  })

  it('rejects a correctly authenticated payload of the wrong version or shape', () => {
    const mac = (payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, 16).toString('base64url')
    const forge = (value: unknown) => {
      const payload = Buffer.from(JSON.stringify(value)).toString('base64url')
      return `${payload}.${mac(payload)}`
    }
    const exp = inFiveMinutes()
    expect(verifyRedirectToken(key, forge(['r1', 1, 'default', '10.0.0.7', exp]))).toBeDefined()
    expect(verifyRedirectToken(key, forge(['r2', 1, 'default', '10.0.0.7', exp]))).toBeUndefined()
    expect(verifyRedirectToken(key, forge(['r1', 1, 'default', '10.0.0.7']))).toBeUndefined()
    expect(verifyRedirectToken(key, forge(['r1', '1', 'default', '10.0.0.7', exp]))).toBeUndefined()
    expect(verifyRedirectToken(key, forge(['r1', 1, 7, '10.0.0.7', exp]))).toBeUndefined()
    expect(verifyRedirectToken(key, forge(['r1', 1, 'default', '10.0.0.7', String(exp)]))).toBeUndefined()
    expect(verifyRedirectToken(key, forge({ v: 'r1' }))).toBeUndefined()
    const notJson = Buffer.from('not json').toString('base64url')
    expect(verifyRedirectToken(key, `${notJson}.${mac(notJson)}`)).toBeUndefined()
  })
})
