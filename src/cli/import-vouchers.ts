// import-vouchers: load a printed batch of scratch cards from a CSV file ("serial,pin" per line,
// an optional header). Every line is validated first and problems are reported with their line
// numbers; nothing is written unless the whole file is clean. Re-importing the same file is a
// no-op (existing serials are checked, not overwritten), and a serial that exists with another
// PIN or batch is reported as a conflict. PINs are stored only as keyed hashes. Cards are written
// in chunks, each its own transaction: a failure midway (the database gone) leaves the chunks
// written so far, and importing the same file again completes it.
import type { HmacKey } from '../config/keys.ts'
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import { hashVoucherPin } from '../adapters/payment/voucher-pin.ts'
import type { Database } from '../db/schema.ts'
import { withTransaction } from '../db/transaction.ts'

/** The batch the file belongs to. */
export interface VoucherBatchSpec {
  name: string
  valueMinor: number
  currency: string
  expiresAt: Date | null
}

/** One problem in the file. */
export interface LineProblem {
  line: number
  problem: string
}

/** What an import did. */
export interface ImportReport {
  lines: number
  problems: LineProblem[]
  inserted: number
  alreadyPresent: number
  conflicts: LineProblem[]
  seconds: number
}

const SERIAL = /^[0-9A-Za-z-]{4,40}$/
const PIN = /^\d{4,32}$/
// Measured with bench:import: 20,000 cards per statement and two statements in flight keep the
// server busy without long transactions (5,000 one after another spent most of the time waiting).
const CHUNK = 20_000
const IN_FLIGHT = 2
const HASH_BYTES = 32

/** One validated card and the line it came from. */
export interface VoucherCard {
  serial: string
  pin: string
  line: number
}

/** Read and validate the file; returns the cards and every problem with its line number. */
export async function readVoucherCsv(path: string): Promise<{ cards: VoucherCard[]; problems: LineProblem[]; lines: number }> {
  const cards: VoucherCard[] = []
  const problems: LineProblem[] = []
  const seen = new Map<string, number>()
  let lineNo = 0
  const reader = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })
  for await (const raw of reader) {
    lineNo++
    const text = raw.trim()
    if (text === '' || text.startsWith('#')) continue
    if (lineNo === 1 && /^serial\s*,\s*pin$/i.test(text)) continue
    const fields = text.split(',').map((f) => f.trim())
    if (fields.length !== 2) {
      problems.push({ line: lineNo, problem: `expected 2 fields (serial,pin), found ${fields.length}` })
      continue
    }
    const [serial, pin] = fields as [string, string]
    if (!SERIAL.test(serial)) problems.push({ line: lineNo, problem: 'serial must be 4–40 letters, digits or dashes' })
    else if (!PIN.test(pin)) problems.push({ line: lineNo, problem: `PIN of ${serial} must be 4–32 digits` })
    else {
      const key = serial.toUpperCase()
      const first = seen.get(key)
      if (first !== undefined) problems.push({ line: lineNo, problem: `serial ${serial} already on line ${first}` })
      else {
        seen.set(key, lineNo)
        cards.push({ serial: key, pin, line: lineNo })
      }
    }
  }
  return { cards, problems, lines: lineNo }
}

/** Import validated cards into `batch` (created if absent, must match if present). */
export async function importVouchers(
  db: Kysely<Database>,
  pinKey: HmacKey,
  batch: VoucherBatchSpec,
  cards: VoucherCard[],
  progress: (done: number, total: number) => void = () => {},
): Promise<{ inserted: number; alreadyPresent: number; conflicts: LineProblem[] }> {
  const batchId = await withTransaction(db, async (trx) => {
    await trx
      .insertInto('voucherBatches')
      .values({ name: batch.name, valueMinor: batch.valueMinor, currency: batch.currency, expiresAt: batch.expiresAt })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute()
    const row = await trx.selectFrom('voucherBatches').selectAll().where('name', '=', batch.name).executeTakeFirstOrThrow()
    if (row.valueMinor !== batch.valueMinor || row.currency !== batch.currency) {
      throw new Error(`batch ${batch.name} exists with value ${row.valueMinor / 100} ${row.currency}; refusing to add cards of another value`)
    }
    return row.id
  })
  const totals = { inserted: 0, alreadyPresent: 0, conflicts: [] as LineProblem[], done: 0 }
  // Up to IN_FLIGHT chunks are in the database at once (each on its own pooled connection, each
  // its own transaction); the next chunk is hashed meanwhile, so hashing never idles the server.
  const inFlight = new Set<Promise<void>>()
  for (let start = 0; start < cards.length; start += CHUNK) {
    const chunk = cards.slice(start, start + CHUNK)
    const pinHashes = Buffer.allocUnsafe(chunk.length * HASH_BYTES)
    chunk.forEach((c, i) => hashVoucherPin(pinKey, c.serial, c.pin).copy(pinHashes, i * HASH_BYTES))
    const write = insertChunk(db, batchId, chunk, pinHashes).then((outcome) => {
      totals.inserted += outcome.inserted
      totals.alreadyPresent += outcome.alreadyPresent
      totals.conflicts.push(...outcome.conflicts)
      totals.done += chunk.length
      progress(totals.done, cards.length)
    })
    inFlight.add(write)
    void write.then(() => inFlight.delete(write), () => {})
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  if (cards.length === 0) progress(0, 0)
  totals.conflicts.sort((a, b) => a.line - b.line)
  return { inserted: totals.inserted, alreadyPresent: totals.alreadyPresent, conflicts: totals.conflicts }
}

// One statement per chunk: the serials as one comma-joined text (serials never hold a comma) and
// the hashes as one binary blob of 32-byte slices, so neither side builds 20,000 array elements.
// The insert skips existing serials; the rest of the statement reads the table as it was before
// the insert (one snapshot), so a row it finds existed already: same batch and hash is the same
// card imported before, anything else is a conflict. A serial that neither went in nor was there
// was committed by a concurrent import in the meantime: reported, never overwritten.
async function insertChunk(db: Kysely<Database>, batchId: number, chunk: VoucherCard[], pinHashes: Buffer): Promise<{ inserted: number; alreadyPresent: number; conflicts: LineProblem[] }> {
  const result = await sql<{ index: number | null; unseen: boolean | null; inserted: number | null }>`
    with input as (
      select c.serial, substring(${pinHashes}::bytea from (c.i::int - 1) * ${HASH_BYTES} + 1 for ${HASH_BYTES}) as pin_hash, c.i
      from unnest(string_to_array(${chunk.map((c) => c.serial).join(',')}::text, ',')) with ordinality as c(serial, i)
    ), added as (
      insert into vouchers (serial, batch_id, pin_hash, status)
      select serial, ${batchId}, pin_hash, 'unused' from input
      on conflict (serial) do nothing
      returning serial
    )
    select i.i::int as index, v.serial is null as unseen, null::int as inserted
      from input i left join added a on a.serial = i.serial left join vouchers v on v.serial = i.serial
      where a.serial is null and not coalesce(v.batch_id = ${batchId} and v.pin_hash = i.pin_hash, false)
    union all
    select null, null, count(*)::int from added`.execute(db)
  let inserted = 0
  const conflicts: LineProblem[] = []
  for (const row of result.rows) {
    if (row.inserted !== null) inserted = row.inserted
    else {
      const card = chunk[row.index! - 1]!
      const problem = row.unseen ? `serial ${card.serial} was added by another import running at the same time (not changed; import again to check it)` : `serial ${card.serial} already exists with another PIN or batch (not changed)`
      conflicts.push({ line: card.line, problem })
    }
  }
  return { inserted, alreadyPresent: chunk.length - inserted - conflicts.length, conflicts }
}

/** A progress bar on a terminal, a line every 10% otherwise. */
export function progressPrinter(stream: NodeJS.WriteStream, started = Date.now()): (done: number, total: number) => void {
  let lastDecile = -1
  return (done, total) => {
    const seconds = (Date.now() - started) / 1000
    const rate = Math.round(done / Math.max(seconds, 0.001))
    const share = total === 0 ? 1 : done / total
    if (stream.isTTY) {
      const width = 30
      const filled = Math.round(share * width)
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${done}/${total} ${rate}/s`)
      if (done === total) stream.write('\n')
      return
    }
    const decile = Math.floor(share * 10)
    if (decile !== lastDecile) {
      lastDecile = decile
      stream.write(`imported ${done}/${total} (${(share * 100).toFixed(0)}%), ${rate}/s\n`)
    }
  }
}
