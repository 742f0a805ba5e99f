#!/usr/bin/env node
// `npx recharge-gateway <command>`: operator commands that run against the configured database
// and exit. Errors print one line and a non-zero exit, never a stack.
import { ConfigError } from './config/config-error.ts'
import { loadConfig } from './config/load-config.ts'
import { DatabaseUnavailableError, openDatabase } from './db/connect.ts'
import { MigrationError, migrateDown, migrateToLatest, pendingMigrations } from './db/migrate.ts'

const USAGE = `usage: recharge-gateway <command>

commands:
  migrate            apply every pending database migration
  migrate --down     undo the most recent migration
  migrate --status   list pending migrations (exit 1 when any)
`

type Command = (args: string[]) => Promise<number>

const commands: Record<string, Command> = {
  migrate: async (args) => {
    const config = loadConfig(process.env)
    const database = await openDatabase(config.database)
    try {
      if (args.includes('--status')) {
        const pending = await pendingMigrations(database.db)
        process.stdout.write(pending.length === 0 ? 'schema is current\n' : `pending:\n${pending.map((m) => `  ${m}\n`).join('')}`)
        return pending.length === 0 ? 0 : 1
      }
      const names = args.includes('--down') ? await migrateDown(database.db) : await migrateToLatest(database.db)
      const verb = args.includes('--down') ? 'undone' : 'applied'
      process.stdout.write(names.length === 0 ? 'nothing to do\n' : names.map((n) => `${verb}: ${n}\n`).join(''))
      return 0
    } finally {
      await database.close()
    }
  },
}

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined || name === 'help' || name === '--help') {
    process.stdout.write(USAGE)
    return name === undefined ? 2 : 0
  }
  const command = commands[name]
  if (command === undefined) {
    process.stderr.write(`recharge-gateway: unknown command ${JSON.stringify(name)}\n${USAGE}`)
    return 2
  }
  return command(args)
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const expected = err instanceof ConfigError || err instanceof DatabaseUnavailableError || err instanceof MigrationError
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`recharge-gateway: ${expected ? message : `unexpected error: ${message}`}\n`)
    process.exit(err instanceof ConfigError ? 2 : 1)
  },
)
