// Whether an error means "the database cannot be reached right now" (down, restarting, connections
// cut, the handle closed) rather than a fault in a query: the first is an outage the client should
// simply retry after, and is answered 503, not a bare 500.

// SQLSTATE class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot
// connect now), 53300 (too many connections).
const SQLSTATES = /^(08...|57P0[123]|53300)$/
const ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'])
// 'driver has already been destroyed': kysely after the handle was closed, i.e. the process is stopping.
const MESSAGES = [/^Connection terminated/, /driver has already been destroyed/, /timeout exceeded when trying to connect/, /Cannot use a pool after calling end/, /PGlite is closed/i, /Client was closed/]

/** True when `err` (or its cause) says the database is unreachable, not that a statement failed. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, syscall } = e as { code?: unknown; syscall?: unknown }
    if (typeof code === 'string' && SQLSTATES.test(code)) return true
    // A missing unix socket is ENOENT on connect; ENOENT elsewhere is not a database matter.
    if (typeof code === 'string' && ERRNOS.has(code) && (code !== 'ENOENT' || syscall === 'connect')) return true
    if (MESSAGES.some((pattern) => pattern.test(e.message))) return true
  }
  return false
}
