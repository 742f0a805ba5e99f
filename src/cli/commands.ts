// The CLI's commands. Each opens the configured database (DATABASE_URL, or the embedded one
// under DATA_DIR), does one thing, and returns an exit code; problems are thrown as CliError
// with a message for the operator.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { deriveKeys } from '../config/keys.ts'
import { loadConfig } from '../config/load-config.ts'
import { loadMasterSecret } from '../db/app-secrets.ts'
import { type DatabaseHandle, openDatabase } from '../db/connect.ts'
import { migrateDown, migrateToLatest, pendingMigrations } from '../db/migrate.ts'
import { hashPassword } from '../staff/password.ts'
import { createDynamicAuthorizationClient } from '../radius/dynamic-authorization-client.ts'
import { describeOutcome, sendTestCoa } from '../adapters/network/test-coa.ts'
import { importVouchers, progressPrinter, readVoucherCsv } from './import-vouchers.ts'

/** A usage or input problem, shown as one line. */
export class CliError extends Error {}

/** A command: arguments in, exit code out. */
export type Command = (args: string[]) => Promise<number>

async function withDatabase<T>(work: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env)
  const database = await openDatabase(config.database)
  try {
    if (config.database.kind === 'embedded') await migrateToLatest(database.db)
    return await work(database)
  } finally {
    await database.close()
  }
}

const out = (text: string) => process.stdout.write(text)

async function migrate(args: string[]): Promise<number> {
  const config = loadConfig(process.env)
  const database = await openDatabase(config.database)
  try {
    if (args.includes('--status')) {
      const pending = await pendingMigrations(database.db)
      out(pending.length === 0 ? 'schema is current\n' : `pending:\n${pending.map((m) => `  ${m}\n`).join('')}`)
      return pending.length === 0 ? 0 : 1
    }
    const names = args.includes('--down') ? await migrateDown(database.db) : await migrateToLatest(database.db)
    const verb = args.includes('--down') ? 'undone' : 'applied'
    out(names.length === 0 ? 'nothing to do\n' : names.map((n) => `${verb}: ${n}\n`).join(''))
    return 0
  } finally {
    await database.close()
  }
}

function parseMoney(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d{1,7}(\.\d{1,2})?$/.test(text) || Number(text) <= 0) throw new CliError(`${what}: expected a positive amount like 50 or 49.90`)
  return Math.round(Number(text) * 100)
}

async function importVouchersCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { batch: { type: 'string' }, value: { type: 'string' }, currency: { type: 'string', default: 'CNY' }, expires: { type: 'string' } } })
  const file = positionals[0]
  if (file === undefined || values.batch === undefined) throw new CliError('usage: import-vouchers --batch NAME --value 50.00 [--currency CNY] [--expires 2027-12-31] FILE.csv')
  const valueMinor = parseMoney(values.value, '--value')
  const currency = values.currency.toUpperCase()
  if (!/^[A-Z]{3}$/.test(currency)) throw new CliError('--currency: expected an ISO 4217 code like CNY')
  const expiresAt = values.expires === undefined ? null : new Date(`${values.expires}T23:59:59Z`)
  if (expiresAt !== null && Number.isNaN(expiresAt.getTime())) throw new CliError('--expires: expected YYYY-MM-DD')
  const started = Date.now()
  const parsed = await readVoucherCsv(file).catch((err: NodeJS.ErrnoException) => {
    throw new CliError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
  })
  if (parsed.problems.length > 0) {
    process.stderr.write(`${file}: ${parsed.problems.length} problem(s); nothing imported\n`)
    for (const p of parsed.problems.slice(0, 100)) process.stderr.write(`  line ${p.line}: ${p.problem}\n`)
    if (parsed.problems.length > 100) process.stderr.write(`  … and ${parsed.problems.length - 100} more\n`)
    return 1
  }
  return withDatabase(async (database) => {
    const config = loadConfig(process.env)
    const keys = deriveKeys(await loadMasterSecret(database.db, config.appSecret))
    const result = await importVouchers(database.db, keys.voucherPin, { name: values.batch!, valueMinor, currency, expiresAt }, parsed.cards, progressPrinter(process.stderr, started))
    const seconds = (Date.now() - started) / 1000
    out(`${file}: ${parsed.cards.length} cards, ${result.inserted} imported, ${result.alreadyPresent} already present, ${result.conflicts.length} conflicts, ${seconds.toFixed(1)} s\n`)
    for (const c of result.conflicts.slice(0, 100)) process.stderr.write(`  line ${c.line}: ${c.problem}\n`)
    return result.conflicts.length === 0 ? 0 : 1
  })
}

async function createStaff(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { username: { type: 'string' }, role: { type: 'string', default: 'support' }, 'password-stdin': { type: 'boolean', default: false } } })
  const username = values.username
  if (username === undefined || !/^[a-z0-9._-]{3,64}$/.test(username)) throw new CliError('usage: create-staff --username NAME [--role admin|operator|support] --password-stdin  (3–64 of a-z 0-9 . _ -)')
  const role = values.role
  if (role !== 'admin' && role !== 'operator' && role !== 'support') throw new CliError('--role: expected admin, operator or support')
  if (!values['password-stdin']) throw new CliError('pass the password on standard input with --password-stdin (never as an argument: it would show in the process list)')
  const password = readFileSync(0, 'utf8').replace(/\r?\n$/, '')
  if (password.length < 12) throw new CliError('the password must be at least 12 characters')
  const passwordHash = await hashPassword(password)
  return withDatabase(async (database) => {
    const inserted = await database.db.insertInto('staffUsers').values({ username, passwordHash, role }).onConflict((oc) => oc.column('username').doNothing()).returning('id').executeTakeFirst()
    if (inserted === undefined) throw new CliError(`staff user ${username} already exists`)
    out(`created ${role} ${username}\n`)
    return 0
  })
}

async function testCoa(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { nas: { type: 'string' }, session: { type: 'string' }, ip: { type: 'string' }, msisdn: { type: 'string' }, disconnect: { type: 'boolean', default: false } } })
  if (values.nas === undefined || values.session === undefined) throw new CliError('usage: test-coa --nas NAME --session ACCT-SESSION-ID [--ip 10.0.0.1] [--msisdn 86138…] [--disconnect]')
  return withDatabase(async (database) => {
    const nas = await database.db.selectFrom('nasClients').selectAll().where('name', '=', values.nas!).executeTakeFirst()
    if (nas === undefined) throw new CliError(`no NAS client named ${values.nas}`)
    const client = await createDynamicAuthorizationClient()
    try {
      const exchange = await sendTestCoa(client, nas, { acctSessionId: values.session!, framedIp: values.ip, msisdn: values.msisdn, disconnect: values.disconnect })
      const outcome = describeOutcome(exchange)
      out(`${exchange.kind} to ${exchange.nas}: ${outcome} after ${exchange.sentAt.length} send(s)\n`)
      out(`request:\n${exchange.requestHex}\n`)
      if (exchange.response) out(`response:\n${exchange.response.hex}\n${JSON.stringify(exchange.response.decoded.attributes)}\n`)
      if (exchange.ignored.length > 0) out(`ignored answers: ${exchange.ignored.join(', ')}\n`)
      return exchange.outcome.kind === 'ack' ? 0 : 1
    } finally {
      await client.close()
    }
  })
}

/** Every command by name. */
export const COMMANDS: Record<string, Command> = {
  migrate,
  'import-vouchers': importVouchersCommand,
  'create-staff': createStaff,
  'test-coa': testCoa,
}
