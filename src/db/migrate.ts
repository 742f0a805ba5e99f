// Runs the date-prefixed migrations in migrations/ with kysely's Migrator (which takes a lock
// table, so two instances starting together do not both migrate).
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Kysely } from 'kysely'
import { FileMigrationProvider, type MigrationResultSet, Migrator } from 'kysely/migration'

/** The repository's migrations folder. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url))

/** Build the one Migrator used by start-up, the CLI and tests. */
export function createMigrator(db: Kysely<any>, folder: string = MIGRATIONS_DIR): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: folder }),
  })
}

/** Thrown when a migration fails; names the migration and the database's own message. */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'MigrationError'
  }
}

/** Apply every pending migration; returns the names applied. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return applied(await createMigrator(db).migrateToLatest())
}

/** Undo the most recent migration; returns the names undone. */
export async function migrateDown(db: Kysely<any>): Promise<string[]> {
  return applied(await createMigrator(db).migrateDown())
}

/** Names of migrations in the folder that the database has not run yet. */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const all = await createMigrator(db).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}

function applied(result: MigrationResultSet): string[] {
  const failed = result.results?.find((r) => r.status === 'Error')
  if (result.error !== undefined) {
    const which = failed ? ` in ${failed.migrationName}` : ''
    throw new MigrationError(`migration failed${which}: ${(result.error as Error).message ?? String(result.error)}`, {
      cause: result.error,
    })
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName)
}
