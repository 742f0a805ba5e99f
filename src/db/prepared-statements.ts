// Named prepared statements for the few statements every page or identify call sends. As
// unnamed statements PostgreSQL parses and plans each one again; a named one is parsed once per
// connection and its plan reused. Kysely's pg driver sends `client.query(sql, parameters)`, so the
// pool's client (pg.Pool's documented `Client` option) recognises a registered text and sends it
// by name; every other statement goes as before.
import pg from 'pg'

const names = new Map<string, string>()

/**
 * Register `text` to run as a named prepared statement on PostgreSQL (the embedded database
 * ignores it); returns the text itself, to be sent as usual (e.g. `CompiledQuery.raw`).
 */
export function preparedStatement(name: string, text: string): string {
  const known = names.get(text)
  if (known !== undefined && known !== name) throw new Error(`statement already prepared as ${known}`)
  if (known === undefined && [...names.values()].includes(name)) throw new Error(`prepared statement name ${name} is taken`)
  names.set(text, name)
  return text
}

/** A pg client that sends registered statement texts by name (pg prepares each once per connection). */
export class PreparingClient extends pg.Client {
  override query(...args: any[]): any {
    const [text, values] = args
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values)) {
      const name = names.get(text)
      if (name !== undefined) return super.query({ name, text, values })
    }
    return (super.query as (...a: unknown[]) => unknown)(...args)
  }
}
