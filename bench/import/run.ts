// npm run bench:import — `recharge-gateway import-vouchers` with a generated CSV of CARDS lines
// (default 1,000,000) against a throwaway PostgreSQL 15 cluster (fsync on): the first import, then
// the same file again (every card already present), each timed as the operator sees it (the whole
// CLI process), and the row count checked afterwards. BENCH_DATABASE_URL uses an existing, empty
// database instead; PROFILE=1 writes a V8 CPU profile of each run into the output directory.
import { randomInt } from 'node:crypto'
import { createWriteStream, mkdirSync, statSync } from 'node:fs'
import { once } from 'node:events'
import { join } from 'node:path'
import pg from 'pg'
import { spawn } from 'node:child_process'
import { installCleanupHandlers, migrate, REPO, startPostgres, stopAll } from '../recharge/lib/processes.ts'

const cards = Number(process.env.CARDS ?? 1_000_000)
if (!Number.isInteger(cards) || cards < 1 || cards > 5_000_000) throw new Error('CARDS: expected 1 to 5,000,000')
const OUT = process.env.BENCH_OUT ?? `/tmp/rg-bench-import-${new Date().toISOString().replace(/[:.]/g, '-')}`
const APP_SECRET = 'bench-import-master-secret-0123456789'

/** Write "serial,pin" lines with 12-digit random PINs, as a card printer delivers them. */
async function writeCsv(path: string, n: number): Promise<void> {
  const out = createWriteStream(path)
  out.write('serial,pin\n')
  const block: string[] = []
  for (let i = 0; i < n; i++) {
    block.push(`B1-${String(i).padStart(8, '0')},${String(randomInt(1e11, 1e12 - 1))}`)
    if (block.length === 10_000 || i === n - 1) {
      if (!out.write(`${block.join('\n')}\n`)) await once(out, 'drain')
      block.length = 0
    }
  }
  out.end()
  await once(out, 'close')
}

async function importOnce(url: string, file: string, label: string): Promise<{ seconds: number; summary: string }> {
  const profile = process.env.PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${OUT}`, `--cpu-prof-name=${label}.cpuprofile`] : []
  const started = process.hrtime.bigint()
  const child = spawn(process.execPath, [...profile, 'src/cli.ts', 'import-vouchers', '--batch', 'bench', '--value', '50', file], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, APP_SECRET, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null]
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (code !== 0) throw new Error(`${label} import failed (${signal ?? `exit ${code}`}):\n${stdout}${stderr.slice(-2000)}`)
  return { seconds, summary: stdout.trim() }
}

async function main(): Promise<void> {
  installCleanupHandlers()
  process.chdir(REPO)
  mkdirSync(OUT, { recursive: true })
  const file = join(OUT, 'vouchers.csv')
  const t0 = Date.now()
  await writeCsv(file, cards)
  process.stdout.write(`generated ${cards} cards (${(statSync(file).size / 1e6).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${file}\n`)
  const url = process.env.BENCH_DATABASE_URL ?? (await startPostgres('rg_import'))
  await migrate(url)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const settings = await client.query<{ fsync: string; sc: string }>(`select current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc`)
    process.stdout.write(`PostgreSQL: fsync=${settings.rows[0]!.fsync} synchronous_commit=${settings.rows[0]!.sc}\n`)
    const first = await importOnce(url, file, 'first')
    process.stdout.write(`first import:  ${first.seconds.toFixed(1)} s  (${first.summary})\n`)
    const again = await importOnce(url, file, 'reimport')
    process.stdout.write(`re-import:     ${again.seconds.toFixed(1)} s  (${again.summary})\n`)
    const count = await client.query<{ n: string }>(`select count(*) as n from vouchers where batch_id = (select id from voucher_batches where name = 'bench')`)
    if (Number(count.rows[0]!.n) !== cards) throw new Error(`expected ${cards} vouchers stored, found ${count.rows[0]!.n}`)
    process.stdout.write(`stored: ${count.rows[0]!.n} vouchers; target: under 120 s for 1,000,000\n`)
  } finally {
    await client.end()
  }
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench:import: ${(err as Error).message}\n`)
    process.exitCode = 1
  })
  .finally(() => stopAll())
