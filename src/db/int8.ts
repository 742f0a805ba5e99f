// The one place where the two drivers' differences are normalised. node-postgres returns int8
// (bigint, count(*)) as strings and PGlite as numbers or BigInts; money and counts here always
// fit in 2^53, so both become plain numbers, and a value that does not fit fails loudly instead
// of silently rounding.

/** PostgreSQL type OIDs we parse ourselves. */
export const PG_OID = { int8: 20 } as const

/** Parse a PostgreSQL int8 text value into a safe JavaScript number. */
export function parseInt8(text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} does not fit in a JavaScript number`)
  }
  return value
}
