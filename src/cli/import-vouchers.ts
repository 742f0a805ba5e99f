// import-vouchers: load a printed batch of scratch cards from a CSV file ("serial,pin" per line,
// an optional header). Every line is validated first and problems are reported with their line
// numbers; nothing is written unless the whole file is clean. Re-importing the same file is a
// no-op (existing serials are checked, not overwritten), and a serial that exists with another
// PIN or batch is reported as a conflict. PINs are stored only as keyed hashes.
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
const CHUNK = 5000

/** Read and validate the file; returns the cards and every problem with its line number. */
export async function readVoucherCsv(path: string): Promise<{ cards: { serial: string; pin: string; line: number }[]; problems: LineProblem[]; lines: number }> {
  const cards: { serial: string; pin: string; line: number }[] = []
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
    else if (seen.has(serial.toUpperCase())) problems.push({ line: lineNo, problem: `serial ${serial} already on line ${seen.get(serial.toUpperCase())}` })
    else {
      seen.set(serial.toUpperCase(), lineNo)
      cards.push({ serial: serial.toUpperCase(), pin, line: lineNo })
    }
  }
  return { cards, problems, lines: lineNo }
}

/** Import validated cards into `batch` (created if absent, must match if present). */
export async function importVouchers(
  db: Kysely<Database>,
  pinKey: HmacKey,
  batch: VoucherBatchSpec,
  cards: { serial: string; pin: string; line: number }[],
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
  let inserted = 0
  let alreadyPresent = 0
  const conflicts: LineProblem[] = []
  for (let start = 0; start < cards.length; start += CHUNK) {
    const chunk = cards.slice(start, start + CHUNK)
    const hashes = chunk.map((c) => hashVoucherPin(pinKey, c.serial, c.pin))
    const serials = chunk.map((c) => c.serial)
    const added = await sql<{ serial: string }>`
      insert into vouchers (serial, batch_id, pin_hash, status)
      select s, ${batchId}, h, 'unused' from unnest(${serials}::text[], ${hashes}::bytea[]) as v(s, h)
      on conflict (serial) do nothing
      returning serial`.execute(db)
    inserted += added.rows.length
    if (added.rows.length < chunk.length) {
      const fresh = new Set(added.rows.map((r) => r.serial))
      const rest = chunk.map((c, i) => ({ card: c, hash: hashes[i]! })).filter((x) => !fresh.has(x.card.serial))
      const existing = await db.selectFrom('vouchers').select(['serial', 'batchId', 'pinHash']).where('serial', 'in', rest.map((x) => x.card.serial)).execute()
      const bySerial = new Map(existing.map((e) => [e.serial, e]))
      for (const { card, hash } of rest) {
        const stored = bySerial.get(card.serial)
        if (stored && stored.batchId === batchId && Buffer.compare(stored.pinHash, hash) === 0) alreadyPresent++
        else conflicts.push({ line: card.line, problem: `serial ${card.serial} already exists with another PIN or batch (not changed)` })
      }
    }
    progress(Math.min(start + CHUNK, cards.length), cards.length)
  }
  return { inserted, alreadyPresent, conflicts }
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
