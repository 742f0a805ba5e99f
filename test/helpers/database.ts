// A fresh, migrated database for one test file: in-memory PGlite by default, or a throwaway
// database created on the PostgreSQL server named by DATABASE_URL (dropped afterwards).
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.ts'
import { migrateToLatest } from '../../src/db/migrate.ts'

/** A database for one test file, and how to throw it away. */
export interface TestDatabase {
  readonly handle: DatabaseHandle
  readonly kind: 'embedded' | 'postgres'
  /** For server mode: the URL of this test's own database (null when embedded). */
  readonly url: string | null
  destroy(): Promise<void>
}

/** Open a fresh database; `migrate: false` leaves it empty. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL
  if (serverUrl === undefined || serverUrl === '') {
    const handle = await openDatabase({ kind: 'embedded', dataDir: null })
    if (options.migrate !== false) await migrateToLatest(handle.db)
    return { handle, kind: 'embedded', url: null, destroy: () => handle.close().catch(() => {}) }
  }

  const name = `rg_test_${randomBytes(6).toString('hex')}`
  await adminQuery(serverUrl, `create database ${name}`)
  const url = withDatabase(serverUrl, name)
  const handle = await openDatabase({ kind: 'postgres', url, poolSize: 10 })
  if (options.migrate !== false) await migrateToLatest(handle.db)
  return {
    handle,
    kind: 'postgres',
    url,
    destroy: async () => {
      await handle.close().catch(() => {}) // a test may have closed it already
      await adminQuery(serverUrl, `drop database if exists ${name} with (force)`)
    },
  }
}

/** `url` pointing at database `name` instead. */
export function withDatabase(url: string, name: string): string {
  const match = /^(postgres(?:ql)?:\/\/[^/?]*)(\/[^?]*)?(\?.*)?$/.exec(url)
  if (!match) throw new Error('DATABASE_URL is not a postgresql:// URL')
  return `${match[1]}/${name}${match[3] ?? ''}`
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}
