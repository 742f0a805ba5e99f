// The benchmark's subscribers: session i of the bulk load holds a distinct loopback address
// 127.(1 + b/256).(b%256).(1 + i%254) with b = i/254 (hosts .1–.254, nothing in 127.0/16, so the
// gateway's own 127.0.0.1 is never a subscriber) and the line 86138 + i in 8 digits. The same
// mapping is written once in SQL (bulk load) and once here (what each answer must say).
import type pg from 'pg'
import { seededRandom } from './stats.ts'

/** The realm of the bench NAS; the gateway's default realm, so no listener mapping is needed. */
export const REALM = 'default'
/** The bench NAS: every loopback address, the peers' test secret. */
export const NAS = { name: 'bench', address: '127.0.0.0/8', secret: 'testing123' }
const RADIUS_SECOND_OCTET = 200

/** One subscriber: its address, full MSISDN and the masked line /api/v1/identify must show. */
export interface Subscriber {
  address: string
  msisdn: string
  line: string
}

function subscriber(address: string, prefix: string, n: number): Subscriber {
  const digits = String(n).padStart(8, '0')
  return { address, msisdn: `86${prefix}${digits}`, line: `${prefix}****${digits.slice(-4)}` }
}

/** Session i of the bulk load. */
export function bulkSubscriber(i: number): Subscriber {
  const block = Math.floor(i / 254)
  return subscriber(`127.${1 + Math.floor(block / 256)}.${block % 256}.${1 + (i % 254)}`, '138', i)
}

/** Session j of the sample recorded through RADIUS accounting (127.200/16, line 86139 + j). */
export function radiusSubscriber(j: number): Subscriber {
  return subscriber(`127.${RADIUS_SECOND_OCTET}.${Math.floor(j / 254)}.${1 + (j % 254)}`, '139', j)
}

/** The most sessions the address plan holds below the RADIUS sample's range. */
export const MAX_SESSIONS = (RADIUS_SECOND_OCTET - 1) * 256 * 254

/** `count` distinct session indices in [0, n), the same in every run. */
export function sampleIndices(count: number, n: number, seed: number): number[] {
  const random = seededRandom(seed)
  const picked = new Set<number>()
  while (picked.size < Math.min(count, n)) picked.add(Math.floor(random() * n))
  return [...picked]
}

/** Insert the bench NAS row; returns its id. */
export async function insertNas(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ id: number }>(
    `insert into nas_clients (name, address, secret, realm, require_message_authenticator)
     values ($1, $2, $3, $4, false) returning id`,
    [NAS.name, NAS.address, NAS.secret, REALM],
  )
  return result.rows[0]!.id
}

/** What the bulk load did. */
export interface LoadReport {
  insertMs: number
  vacuumMs: number
  active: number
  tableMb: number
  totalMb: number
}

/** Insert `count` active sessions of `nasId` in one statement, then VACUUM ANALYZE. */
export async function loadSessions(pool: pg.Pool, nasId: number, count: number): Promise<LoadReport> {
  if (count > MAX_SESSIONS) throw new Error(`at most ${MAX_SESSIONS} sessions fit the address plan`)
  const t0 = performance.now()
  await pool.query(
    `insert into radius_sessions (nas_id, realm, acct_session_id, msisdn, framed_ip, started_at, last_seen_at)
     select $1::int, $2::text, 'bench-' || i, '86138' || lpad(i::text, 8, '0'),
            ('127.' || (1 + (i / 254) / 256) || '.' || ((i / 254) % 256) || '.' || (1 + i % 254))::inet, now(), now()
     from generate_series(0, $3::int - 1) as i`,
    [nasId, REALM, count],
  )
  const t1 = performance.now()
  await pool.query('vacuum analyze radius_sessions')
  const t2 = performance.now()
  const stats = await pool.query<{ active: string; table: string; total: string }>(
    `select (select count(*) from radius_sessions where stopped_at is null) as active,
            pg_relation_size('radius_sessions') as table, pg_total_relation_size('radius_sessions') as total`,
  )
  const row = stats.rows[0]!
  return { insertMs: t1 - t0, vacuumMs: t2 - t1, active: Number(row.active), tableMb: Number(row.table) / 1e6, totalMb: Number(row.total) / 1e6 }
}

/** Check that the SQL mapping and bulkSubscriber() agree on `indices`; returns the disagreements. */
export async function checkMapping(pool: pg.Pool, indices: readonly number[]): Promise<string[]> {
  const result = await pool.query<{ id: string; address: string; msisdn: string }>(
    `select acct_session_id as id, host(framed_ip) as address, msisdn from radius_sessions
     where stopped_at is null and acct_session_id = any($1::text[])`,
    [indices.map((i) => `bench-${i}`)],
  )
  const found = new Map(result.rows.map((r) => [r.id, r]))
  const problems: string[] = []
  for (const i of indices) {
    const want = bulkSubscriber(i)
    const row = found.get(`bench-${i}`)
    if (row?.address !== want.address || row.msisdn !== want.msisdn) {
      problems.push(`session ${i}: stored ${JSON.stringify(row ?? null)}, expected ${want.address} ${want.msisdn}`)
    }
  }
  return problems
}
