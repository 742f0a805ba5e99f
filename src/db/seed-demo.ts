// Demo data for the embedded default only (main.ts never calls this with DATABASE_URL). Every
// insert is idempotent, so restarting `npm start` on the same ./data changes nothing.
import type { HmacKey } from '../config/keys.ts'
import type { Kysely } from 'kysely'
import { hashVoucherPin } from '../adapters/payment/voucher-pin.ts'
import { hashPassword } from '../staff/password.ts'
import type { Database } from './schema.ts'
import { withTransaction } from './transaction.ts'

/** The demo data, as printed at start-up and listed in the README. */
export const DEMO = Object.freeze({
  nas: { name: 'demo-loopback', address: '127.0.0.0/8', secret: 'testing123', realm: 'default', coaHost: '127.0.0.1', coaPort: 3799 },
  lines: Array.from({ length: 10 }, (_, i) => `86138000000${String(i + 1).padStart(2, '0')}`),
  lineBalanceMinor: -1000,
  currency: 'CNY',
  voucherBatch: 'demo-50-cny',
  voucherValueMinor: 5000,
  vouchers: Array.from({ length: 20 }, (_, i) => ({
    serial: `DEMO-${String(i + 1).padStart(4, '0')}`,
    pin: `12345678${String(i + 1).padStart(4, '0')}`,
  })),
  staff: { username: 'demo-admin', password: 'demo-admin-password', role: 'admin' as const },
})

/** Insert the demo NAS, lines (through opening ledger entries), vouchers and staff login. */
export async function seedDemo(db: Kysely<Database>, voucherPinKey: HmacKey): Promise<void> {
  const passwordHash = await hashPassword(DEMO.staff.password)
  await withTransaction(db, async (trx) => {
    await trx
      .insertInto('nasClients')
      .values({
        name: DEMO.nas.name,
        address: DEMO.nas.address,
        secret: DEMO.nas.secret,
        realm: DEMO.nas.realm,
        requireMessageAuthenticator: false,
        coaHost: DEMO.nas.coaHost,
        coaPort: DEMO.nas.coaPort,
        liftProfile: 'coa',
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute()

    for (const msisdn of DEMO.lines) {
      const inserted = await trx
        .insertInto('lines')
        .values({
          msisdn,
          balanceMinor: DEMO.lineBalanceMinor,
          currency: DEMO.currency,
          status: 'suspended',
          suspensionReason: 'arrears',
          restoreThresholdMinor: 0,
        })
        .onConflict((oc) => oc.column('msisdn').doNothing())
        .returning('msisdn')
        .executeTakeFirst()
      if (inserted === undefined) continue
      await trx
        .insertInto('ledgerEntries')
        .values({
          msisdn,
          amountMinor: DEMO.lineBalanceMinor,
          currency: DEMO.currency,
          kind: 'opening',
          idempotencyKey: `demo-opening:${msisdn}`,
          reference: 'demo data',
        })
        .execute()
    }

    const batch = await trx
      .insertInto('voucherBatches')
      .values({ name: DEMO.voucherBatch, valueMinor: DEMO.voucherValueMinor, currency: DEMO.currency })
      .onConflict((oc) => oc.column('name').doUpdateSet({ name: DEMO.voucherBatch }))
      .returning('id')
      .executeTakeFirstOrThrow()
    await trx
      .insertInto('vouchers')
      .values(
        DEMO.vouchers.map((v) => ({
          serial: v.serial,
          batchId: batch.id,
          pinHash: hashVoucherPin(voucherPinKey, v.serial, v.pin),
          status: 'unused' as const,
        })),
      )
      .onConflict((oc) => oc.column('serial').doNothing())
      .execute()

    await trx
      .insertInto('staffUsers')
      .values({ username: DEMO.staff.username, passwordHash, role: DEMO.staff.role })
      .onConflict((oc) => oc.column('username').doNothing())
      .execute()
  })
}

/** The start-up banner listing the demo data (printed to stdout, never to the log). */
export function demoBanner(radiusPort: number, portalUrl: string): string {
  const v = DEMO.vouchers
  return [
    '',
    '== recharge-gateway: DEMO DATA (embedded database only) ==',
    `portal           ${portalUrl}/portal  (from a loopback address that has an accounting session, e.g. after the radclient line below)`,
    `NAS client       ${DEMO.nas.address}  secret ${DEMO.nas.secret}  realm ${DEMO.nas.realm}  accounting udp/${radiusPort}  CoA ${DEMO.nas.coaHost}:${DEMO.nas.coaPort} (demo stand-in NAS ACKs)`,
    `try it           printf 'Acct-Status-Type = Start\\nAcct-Session-Id = "demo-1"\\nFramed-IP-Address = 127.0.0.1\\nCalling-Station-Id = "${DEMO.lines[0]}"\\n' | radclient 127.0.0.1:${radiusPort} acct ${DEMO.nas.secret}`,
    `suspended lines  ${DEMO.lines[0]} … ${DEMO.lines[DEMO.lines.length - 1]}  balance -10.00 ${DEMO.currency}, reason arrears`,
    `vouchers         50.00 ${DEMO.currency} each: ${v[0]!.serial} / PIN ${v[0]!.pin} … ${v[v.length - 1]!.serial} / PIN ${v[v.length - 1]!.pin}`,
    `staff console    ${portalUrl}/console  login ${DEMO.staff.username} / ${DEMO.staff.password}  (role ${DEMO.staff.role})`,
    '',
  ].join('\n')
}
