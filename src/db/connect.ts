// Opens the system of record: node-postgres when DATABASE_URL is set, otherwise the embedded
// PGlite (on disk under DATA_DIR, or in memory for tests). Callers only ever see Kysely.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CamelCasePlugin, Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../config/load-config.ts'
import type { Database } from './schema.ts'
import { PG_OID, parseInt8 } from './int8.ts'
import { PreparingClient } from './prepared-statements.ts'

/** An open database and how to close it. */
export interface DatabaseHandle {
  readonly db: Kysely<Database>
  /**
   * For the job worker: with a server, its own few connections, so a burst of page views
   * queueing for the main pool never holds back a lift the subscriber is waiting for.
   * The embedded database has one connection, shared.
   */
  readonly jobs: Kysely<Database>
  readonly kind: 'postgres' | 'embedded'
  /** Throws when the database does not answer a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
}

/** Thrown when the database cannot be opened; the message is meant for an operator. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DatabaseUnavailableError'
  }
}

/** Open the configured database and check that it answers. */
export async function openDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  const handle = config.kind === 'postgres' ? openPostgres(config.url, config.poolSize) : await openEmbedded(config.dataDir)
  try {
    await handle.ping()
  } catch (err) {
    await handle.close().catch(() => {})
    const where = config.kind === 'postgres' ? describeUrl(config.url) : 'the embedded database'
    throw new DatabaseUnavailableError(`cannot reach ${where}: ${(err as Error).message}`, { cause: err })
  }
  return handle
}

function openPostgres(url: string, poolSize: number): DatabaseHandle {
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === PG_OID.int8 ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  }
  const open = (max: number) => {
    const pool = new pg.Pool({ connectionString: url, max, types, connectionTimeoutMillis: 5000, Client: PreparingClient })
    // A connection lost to a server restart or a network cut must not crash the process: idle
    // clients report through the pool, checked-out ones through their own 'error' event, which
    // would otherwise be thrown. The query in flight fails and the caller handles that.
    pool.on('error', () => {})
    pool.on('connect', (client) => {
      client.on('error', () => {})
    })
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] })
  }
  const db = open(poolSize)
  const jobs = open(JOB_POOL_SIZE)
  return {
    db,
    jobs,
    kind: 'postgres',
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    close: async () => {
      await Promise.all([db.destroy(), jobs.destroy()])
    },
  }
}

/**
 * Connections the job worker has to itself. Eight, not four: a lift is about eight round trips,
 * and under a voucher burst four connections made its 16 lanes queue for the pool while the HTTP
 * pool's ten kept the server busy, so lifts fell behind credits (bench/recharge, saturation, busy
 * host: at most 417 lift jobs due with four, 48 with eight).
 */
const JOB_POOL_SIZE = 8

async function openEmbedded(dataDir: string | null): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite')
  let release = () => {}
  if (dataDir !== null) {
    mkdirSync(dataDir, { recursive: true })
    release = lockDataDir(dataDir)
  }
  let pglite
  try {
    pglite = new PGlite({
      ...(dataDir === null ? {} : { dataDir: join(dataDir, 'pglite') }),
      parsers: { [PG_OID.int8]: parseInt8 },
    })
    await pglite.waitReady
  } catch (err) {
    release()
    throw new DatabaseUnavailableError(`cannot open the embedded database in ${dataDir}: ${(err as Error).message}`, {
      cause: err,
    })
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }), plugins: [new CamelCasePlugin()] })
  return {
    db,
    jobs: db,
    kind: 'embedded',
    ping: async () => {
      await sql`select 1`.execute(db)
    },
    close: async () => {
      await db.destroy()
      if (!pglite.closed) await pglite.close()
      release()
    },
  }
}

// PGlite is single-process: a second gateway on the same directory would corrupt it.
function lockDataDir(dataDir: string): () => void {
  const lockFile = join(dataDir, 'gateway.pid')
  try {
    const holder = Number(readFileSync(lockFile, 'utf8').trim())
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new DatabaseUnavailableError(
        `the embedded database in ${dataDir} is in use by process ${holder}; stop it or set DATA_DIR to another directory`,
      )
    }
  } catch (err) {
    if (err instanceof DatabaseUnavailableError) throw err
  }
  writeFileSync(lockFile, String(process.pid))
  return () => rmSync(lockFile, { force: true })
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The URL without its password, for messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'the database'
  }
}
