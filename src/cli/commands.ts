// The CLI's commands. Each opens the configured database (DATABASE_URL, or the embedded one
// under DATA_DIR), does one thing, and returns an exit code; problems are thrown as CliError
// with a message for the operator.
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { deriveKeys } from '../config/keys.ts'
import { type Config, loadConfig } from '../config/load-config.ts'
import { loadMasterSecret } from '../db/app-secrets.ts'
import { type DatabaseHandle, openDatabase } from '../db/connect.ts'
import { migrateDown, migrateToLatest, pendingMigrations } from '../db/migrate.ts'
import { hashPassword } from '../staff/password.ts'
import { createDynamicAuthorizationClient } from '../radius/dynamic-authorization-client.ts'
import { describeOutcome, sendTestCoa } from '../adapters/network/test-coa.ts'
import { importVouchers, progressPrinter, readVoucherCsv } from './import-vouchers.ts'
import { allowlistText, buildAllowlist } from '../settings/allowlist.ts'
import { configYaml } from '../settings/config-file.ts'
import { readConfigSnapshot } from '../settings/config-snapshot.ts'
import { resolveSettings } from '../settings/live-settings.ts'
import { ConfigInvalidError, importConfig } from '../settings/operator-actions.ts'
import type { SettingsContext } from '../settings/settings-schema.ts'
import { createApiTokenCommand } from './api-token-command.ts'
import { recordAudit } from '../audit/audit-log.ts'

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
    await recordAudit(database.db, { actor: { name: 'cli', id: null, via: 'cli' }, action: 'staff.create', target: `staff:${username}`, after: { username, role } })
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

const settingsContext = (config: Config): SettingsContext => ({ cardAvailable: config.psp !== null, envTrustedProxies: config.identification.trustedProxies })

async function exportConfig(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { output: { type: 'string', short: 'o' } } })
  const config = loadConfig(process.env)
  return withDatabase(async (database) => {
    const yaml = configYaml(await readConfigSnapshot(database.db, settingsContext(config)))
    if (values.output === undefined) out(yaml)
    else writeFileSync(values.output, yaml, { mode: 0o644 })
    return 0
  })
}

async function importConfigCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'dry-run': { type: 'boolean', default: false }, reason: { type: 'string' } } })
  const file = positionals[0]
  if (file === undefined) throw new CliError('usage: import-config FILE.yaml [--dry-run] [--reason TEXT]')
  let text: string
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  const config = loadConfig(process.env)
  return withDatabase(async (database) => {
    try {
      const { summary, dryRun } = await importConfig(database.db, text, settingsContext(config), { actor: { name: 'cli', id: null, via: 'cli' }, reason: values.reason ?? null }, { dryRun: values['dry-run'] })
      const list = (items: string[]) => (items.length === 0 ? '-' : items.join(', '))
      out(`${dryRun ? 'would apply (dry run, nothing changed)' : 'applied'}: ${file}\n`)
      out(`  settings set: ${list(summary.settingsSet)}\n  settings back to their defaults: ${list(summary.settingsCleared)}\n`)
      out(`  NAS added: ${list(summary.nasAdded)}\n  NAS changed: ${list(summary.nasChanged)} (new secret: ${list(summary.secretsChanged)})\n  NAS removed: ${list(summary.nasRemoved)}\n`)
      return 0
    } catch (err) {
      if (!(err instanceof ConfigInvalidError)) throw err
      process.stderr.write(`${file}: ${err.problems.length} problem(s); nothing applied\n${err.problems.map((p) => `  ${p.path}: ${p.message}\n`).join('')}`)
      return 1
    }
  })
}

async function exportAllowlist(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { format: { type: 'string', default: 'text' }, only: { type: 'string', default: 'all' } } })
  if (values.format !== 'text' && values.format !== 'json') throw new CliError('--format: expected text or json')
  if (values.only !== 'all' && values.only !== 'hosts' && values.only !== 'addresses') throw new CliError('--only: expected hosts or addresses')
  const config = loadConfig(process.env)
  return withDatabase(async (database) => {
    const snapshot = await readConfigSnapshot(database.db, settingsContext(config))
    const live = resolveSettings(config, snapshot.settings, snapshot.revision)
    const list = await buildAllowlist({ portalUrl: live.portal.url, ownHosts: live.portal.ownHosts, captiveApiUrl: live.captiveApiUrl, paymentUrl: config.psp?.url ?? null })
    out(values.format === 'json' ? `${JSON.stringify(list, null, 2)}\n` : allowlistText(list, values.only as 'all' | 'hosts' | 'addresses'))
    // Exit 1 when a name did not resolve: a loader script must not install a partial list silently.
    return list.entries.every((e) => e.resolved) ? 0 : 1
  })
}

/** Every command by name. */
export const COMMANDS: Record<string, Command> = {
  migrate,
  'import-vouchers': importVouchersCommand,
  'create-staff': createStaff,
  'test-coa': testCoa,
  'export-config': exportConfig,
  'import-config': importConfigCommand,
  'export-allowlist': exportAllowlist,
  'create-api-token': (args) => createApiTokenCommand(args, withDatabase, (message) => new CliError(message)),
}
