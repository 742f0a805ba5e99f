// Sign-in throttling kept in the database, so it holds however many instances serve the console:
// more than 5 failures for one username, or 20 from one source address, within 15 minutes and
// further attempts are refused until the window has moved on. A success clears the username's
// failures (not the address's: one good password must not unlock guessing at other accounts).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.ts'

/** The limits. */
export const LOGIN_THROTTLE = { windowMs: 15 * 60 * 1000, perUser: 5, perAddress: 20 } as const

const userSubject = (username: string) => `user:${username.toLowerCase()}`
const addressSubject = (address: string) => `addr:${address}`

/** Whether sign-in for `username` from `address` is refused for now. */
export async function loginThrottled(db: Kysely<Database>, username: string, address: string): Promise<boolean> {
  const since = new Date(Date.now() - LOGIN_THROTTLE.windowMs)
  const rows = await db
    .selectFrom('staffLoginFailures')
    .select(['subject', sql<number>`count(*)::int`.as('n')])
    .where('subject', 'in', [userSubject(username), addressSubject(address)])
    .where('at', '>', since)
    .groupBy('subject')
    .execute()
  const count = (subject: string) => rows.find((r) => r.subject === subject)?.n ?? 0
  return count(userSubject(username)) >= LOGIN_THROTTLE.perUser || count(addressSubject(address)) >= LOGIN_THROTTLE.perAddress
}

/** Count a failed sign-in (wrong password or second factor) against the username and the address. */
export async function recordLoginFailure(db: Kysely<Database>, username: string, address: string): Promise<void> {
  await db.insertInto('staffLoginFailures').values([{ subject: userSubject(username) }, { subject: addressSubject(address) }]).execute()
  await db.deleteFrom('staffLoginFailures').where('at', '<', new Date(Date.now() - 2 * LOGIN_THROTTLE.windowMs)).execute()
}

/** Forget a username's failures after it signed in. */
export async function clearLoginFailures(db: Kysely<Database>, username: string): Promise<void> {
  await db.deleteFrom('staffLoginFailures').where('subject', '=', userSubject(username)).execute()
}
