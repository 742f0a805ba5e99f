// What one phase's database holds before the load: one NAS client (127.0.0.0/8, CoA to the
// FreeRADIUS NAS, lift profile 'coa'), and for each line i < n: a suspended line (arrears,
// balance −10.00 CNY, restore threshold 0), an active accounting session with its own loopback
// address, and an unused 50 CNY voucher. Sessions are inserted by SQL, not through RADIUS
// accounting (the accounting path has its own benchmark); voucher PINs are hashed exactly as the
// gateway checks them (deriveKeys(APP_SECRET).voucherPin, hashVoucherPin).
import pg from 'pg'
import { hashVoucherPin } from '../../../src/adapters/payment/voucher-pin.ts'
import { deriveKeys } from '../../../src/config/keys.ts'

/** Balance of every line before its recharge (minor units): −10.00 CNY. */
export const OPENING_BALANCE_MINOR = -1000
/** Face value of every voucher (minor units): 50.00 CNY, enough to restore the line. */
export const VOUCHER_VALUE_MINOR = 5000

/** Line i's source address: 127.20+.b.h with h in 1…254 (never 127.0.0.0/16, where the servers listen). */
export function lineAddress(i: number): string {
  const b = Math.floor(i / 254)
  return `127.${20 + Math.floor(b / 256)}.${b % 256}.${1 + (i % 254)}`
}

/** Line i's MSISDN. */
export function lineMsisdn(i: number): string {
  return `86139${String(i).padStart(8, '0')}`
}

/** Line i's voucher. */
export function lineVoucher(i: number): { serial: string; pin: string } {
  return { serial: `BR-${String(i).padStart(7, '0')}`, pin: String(4_000_000_000_000_000n + BigInt(i) * 7919n) }
}

/** Seed `n` lines and the NAS into the database at `url`. */
export async function seed(url: string, options: { n: number; appSecret: string; nasSecret: string; coaPort: number; voucherBatches?: number }): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(
      `insert into nas_clients (name, address, secret, realm, coa_host, coa_port, lift_profile)
       values ('bench-freeradius', '127.0.0.0/8', $1, 'default', '127.0.0.1', $2, 'coa')`,
      [options.nasSecret, options.coaPort],
    )
    const nasId = (await client.query<{ id: number }>(`select id from nas_clients where name = 'bench-freeradius'`)).rows[0]!.id
    const ids = Array.from({ length: options.n }, (_, i) => i)
    await client.query(
      `insert into lines (msisdn, balance_minor, currency, status, suspension_reason, restore_threshold_minor)
       select m, $2, 'CNY', 'suspended', 'arrears', 0 from unnest($1::text[]) as m`,
      [ids.map(lineMsisdn), OPENING_BALANCE_MINOR],
    )
    await client.query(
      `insert into radius_sessions (nas_id, realm, acct_session_id, msisdn, framed_ip, started_at, last_seen_at)
       select $1, 'default', 'bench-' || i, m, ip::inet, now(), now() from unnest($2::int[], $3::text[], $4::text[]) as v(i, m, ip)`,
      [nasId, ids, ids.map(lineMsisdn), ids.map(lineAddress)],
    )
    // Voucher i is in batch i mod voucherBatches (default: one batch, as a print run of cards is).
    const batches = Math.max(1, Math.min(options.voucherBatches ?? 1, options.n))
    const batchIds = (
      await client.query<{ id: number }>(
        `insert into voucher_batches (name, value_minor, currency) select 'bench-' || k, $1, 'CNY' from generate_series(0, $2 - 1) as k order by k returning id`,
        [VOUCHER_VALUE_MINOR, batches],
      )
    ).rows.map((r) => r.id)
    const pinKey = deriveKeys(options.appSecret).voucherPin
    for (let from = 0; from < options.n; from += 5000) {
      const chunk = ids.slice(from, from + 5000)
      const vouchers = chunk.map(lineVoucher)
      await client.query(
        `insert into vouchers (serial, batch_id, pin_hash) select s, b, h from unnest($1::text[], $2::int[], $3::bytea[]) as v(s, b, h)`,
        [vouchers.map((v) => v.serial), chunk.map((i) => batchIds[i % batches]!), vouchers.map((v) => hashVoucherPin(pinKey, v.serial, v.pin))],
      )
    }
    await client.query('analyze')
  } finally {
    await client.end()
  }
}

/** Create database `name` in the cluster of `adminUrl`. */
export async function createDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`create database "${name}"`)
  } finally {
    await client.end()
  }
}
