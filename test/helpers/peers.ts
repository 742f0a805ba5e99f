// Real peers (PostgreSQL, FreeRADIUS, Chromium) are optional on a developer's machine and
// mandatory under CI: a missing peer skips with a printed reason, except when CI=true, where it
// fails the test file at collection time.
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/** Absolute path of the first executable named `name` on PATH (plus `extraDirs`), if any. */
export function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs]
  for (const dir of dirs) {
    if (!dir) continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

/**
 * Decide whether tests that need `peer` may run. `missingReason` is undefined when the peer is
 * there. Under CI a missing peer throws, so the run fails instead of silently skipping.
 */
export function peerAvailable(peer: string, missingReason: string | undefined): boolean {
  if (missingReason === undefined) return true
  if (process.env.CI === 'true') {
    throw new Error(`required test peer missing under CI: ${peer}: ${missingReason}`)
  }
  console.warn(`[skipped] tests that need ${peer}: ${missingReason}`)
  return false
}

/** radclient from Debian's freeradius-utils. */
export function radclientPath(): string | undefined {
  return findExecutable('radclient')
}

/** The FreeRADIUS server binary (Debian installs it as /usr/sbin/freeradius). */
export function freeradiusPath(): string | undefined {
  return findExecutable('freeradius', ['/usr/sbin']) ?? findExecutable('radiusd', ['/usr/sbin'])
}

/** Debian's Chromium. */
export function chromiumPath(): string | undefined {
  return findExecutable('chromium', ['/usr/bin']) ?? findExecutable('chromium-browser', ['/usr/bin'])
}
