// `create-api-token --name NAME --role ROLE`: a bearer token for automation, printed once on
// standard output (store it in the automation's secret store); the database keeps only its hash.
// The creation is audited as done by the CLI.
import { parseArgs } from 'node:util'
import { recordAudit } from '../audit/audit-log.ts'
import { createApiToken, TOKEN_NAME } from '../db/api-tokens.ts'
import { withTransaction } from '../db/transaction.ts'
import { ROLES, type Role } from '../staff/permissions.ts'
import type { DatabaseHandle } from '../db/connect.ts'

/** Run the command over an open database; `fail` builds the CLI's one-line error. */
export async function createApiTokenCommand(args: string[], withDatabase: <T>(work: (database: DatabaseHandle) => Promise<T>) => Promise<T>, fail: (message: string) => Error): Promise<number> {
  const { values } = parseArgs({ args, options: { name: { type: 'string' }, role: { type: 'string' } } })
  const name = values.name
  if (name === undefined || !TOKEN_NAME.test(name)) throw fail('usage: create-api-token --name NAME --role admin|operator|support  (3–64 of a-z 0-9 . _ -)')
  const role = values.role
  if (role === undefined || !(ROLES as readonly string[]).includes(role)) throw fail('--role: expected admin, operator or support')
  return withDatabase(async (database) => {
    const exists = await database.db.selectFrom('apiTokens').select('id').where('name', '=', name).executeTakeFirst()
    if (exists !== undefined) throw fail(`an API token named ${name} already exists`)
    const { token, info } = await withTransaction(database.db, async (trx) => {
      const made = await createApiToken(trx, { name, role: role as Role, createdBy: 'cli' })
      await recordAudit(trx, { actor: { name: 'cli', id: null, via: 'cli' }, action: 'api-token.create', target: `api-token:${name}`, after: { name, role, prefix: made.info.prefix } })
      return made
    })
    process.stderr.write(`created API token ${info.name} (role ${info.role}); it is shown once:\n`)
    process.stdout.write(`${token}\n`)
    return 0
  })
}
