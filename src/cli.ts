#!/usr/bin/env node
// `npx recharge-gateway <command>`: operator commands that run against the configured database
// and exit. Errors print one line and a non-zero exit, never a stack.
import { COMMANDS, CliError } from './cli/commands.ts'
import { ConfigError } from './config/config-error.ts'
import { DatabaseUnavailableError } from './db/connect.ts'
import { MigrationError } from './db/migrate.ts'

const USAGE = `usage: recharge-gateway <command>

commands:
  migrate [--status|--down]       apply pending migrations, list them, or undo the latest
  import-vouchers --batch NAME --value 50.00 [--currency CNY] [--expires YYYY-MM-DD] FILE.csv
                                  load scratch cards ("serial,pin" lines); validated first, idempotent
  create-staff --username NAME --role admin|operator|support --password-stdin
                                  create a console/API user (password read from standard input)
  create-api-token --name NAME --role admin|operator|support
                                  create a bearer token for /api/v1 (printed once; stored hashed)
  test-coa --nas NAME --session ID [--ip ADDR] [--msisdn N] [--disconnect]
                                  send one CoA (or Disconnect) to a configured NAS and show the answer
  export-config [--output FILE]   settings and NAS clients as YAML (shared secrets left out)
  import-config FILE [--dry-run] [--reason TEXT]
                                  validate a YAML file in full, then apply it atomically
  export-allowlist [--format text|json] [--only hosts|addresses]
                                  the walled-garden allowlist for the BNG/PCEF
`

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help') {
    process.stdout.write(USAGE)
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    process.stderr.write(`recharge-gateway: unknown command ${JSON.stringify(name)}\n${USAGE}`)
    return 2
  }
  return command(args)
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const expected = [ConfigError, DatabaseUnavailableError, MigrationError, CliError].some((kind) => err instanceof kind)
    const parseError = (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`recharge-gateway: ${expected || parseError ? message : `unexpected error: ${message}`}\n`)
    process.exit(err instanceof ConfigError ? 2 : 1)
  },
)
