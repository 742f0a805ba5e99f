// Data and traffic for tests that drive real gateway processes over a PostgreSQL server: the
// master secret they share (so form tokens and voucher PINs hash alike), suspended lines opened
// through the ledger, scratch cards, the voucher form as the portal renders it, and signed
// accounting packets as a NAS sends them.
import { randomBytes } from 'node:crypto'
import { createSocket, type Socket } from 'node:dgram'
import type { Kysely } from 'kysely'
import { hashVoucherPin } from '../../src/adapters/payment/voucher-pin.ts'
import { deriveKeys, type Keys } from '../../src/config/keys.ts'
import type { Database } from '../../src/db/schema.ts'
import { issueFormToken } from '../../src/http/portal/form-token.ts'
import { signedAccountingRequest, startAttributes } from '../radius/helpers/accounting-request.ts'
import { type Answer, httpFrom } from '../recharge/helpers/gateway-process.ts'

/** A fresh APP_SECRET and the keys every gateway started with it derives. */
export function sharedSecret(): { appSecret: string; keys: Keys } {
  const appSecret = randomBytes(32).toString('base64url')
  return { appSecret, keys: deriveKeys(appSecret) }
}

/** A suspended line in arrears of `openingMinor` (opened through the ledger, as billing would). */
export async function addSuspendedLine(db: Kysely<Database>, msisdn: string, openingMinor = -1000): Promise<void> {
  await db.insertInto('lines').values({ msisdn, balanceMinor: openingMinor, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 }).execute()
  await db.insertInto('ledgerEntries').values({ msisdn, amountMinor: openingMinor, currency: 'CNY', kind: 'opening', idempotencyKey: `opening:${msisdn}`, reference: 'test' }).execute()
}

/** `count` unused scratch cards of `valueMinor` CNY; serial `<prefix>-<n>`, PIN `9<n>` padded. */
export async function addVouchers(db: Kysely<Database>, keys: Keys, prefix: string, count: number, valueMinor = 5000): Promise<{ serial: string; pin: string }[]> {
  const batch = await db.insertInto('voucherBatches').values({ name: prefix, valueMinor, currency: 'CNY' }).returning('id').executeTakeFirstOrThrow()
  const cards = Array.from({ length: count }, (_, i) => ({ serial: `${prefix}-${1000 + i}`, pin: `9${String(1000 + i).padStart(9, '0')}` }))
  await db
    .insertInto('vouchers')
    .values(cards.map((c) => ({ serial: c.serial, batchId: batch.id, pinHash: hashVoucherPin(keys.voucherPin, c.serial, c.pin), status: 'unused' as const })))
    .execute()
  return cards
}

/** POST the voucher form from `address` to the gateway on `port` (form token as the portal issues it). */
export function payVoucher(port: number, keys: Keys, address: string, card: { serial: string; pin: string }): Promise<Answer> {
  return httpFrom(port, address, 'POST', '/recharge/voucher', { ft: issueFormToken(keys.formToken, address), serial: card.serial, pin: card.pin, lang: 'en' })
}

/** A signed Accounting-Request (Start unless `kind` says otherwise) for one line's session. */
export function accountingPacket(secret: string, identifier: number, s: { session: string; msisdn: string; address: string; kind?: 'Start' | 'Interim-Update' | 'Stop' }): Buffer {
  return signedAccountingRequest({
    secret: Buffer.from(secret),
    identifier: identifier & 0xff,
    attributes: startAttributes({
      'Acct-Status-Type': s.kind ?? 'Start',
      'Acct-Session-Id': s.session,
      'Calling-Station-Id': s.msisdn,
      'User-Name': `${s.msisdn}@cmnet`,
      'Framed-IP-Address': s.address,
      'Framed-IPv6-Prefix': `2409:8a00:${identifier.toString(16)}::/64`,
      'Event-Timestamp': Math.floor(Date.now() / 1000),
    }),
  })
}

/** A UDP socket on 127.0.0.1 (random port): the NAS's accounting side. */
export async function nasSocket(): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()))
  return socket
}

/** The NAS at 127.0.0.1 with `secret`, its CoA port at `coaPort`; returns its id. */
export async function addLoopbackNas(db: Kysely<Database>, name: string, secret: string, coaPort: number): Promise<number> {
  const row = await db
    .insertInto('nasClients')
    .values({ name, address: '127.0.0.1', secret, realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort, liftProfile: 'coa' })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}
