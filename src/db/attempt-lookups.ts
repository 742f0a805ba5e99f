// What the lift and confirm jobs read before they act, each in one round trip: the attempt with
// its line's active session (lift), or with whether accounting for the line arrived (confirm).
import type { Kysely } from 'kysely'
import type { Database, RechargeAttempt } from './schema.ts'

/** The active session a lift targets (the newest one of the line). */
export interface LiftTarget {
  nasId: number
  acctSessionId: string
  framedIp: string | null
}

/** An attempt by id, with the newest active session of its line (undefined when none). */
export async function findAttemptWithSession(db: Kysely<Database>, id: string): Promise<{ attempt: RechargeAttempt; session: LiftTarget | undefined } | undefined> {
  const row = await db
    .selectFrom('rechargeAttempts as a')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('radiusSessions as s')
          .select(['s.nasId', 's.acctSessionId', 's.framedIp'])
          .whereRef('s.msisdn', '=', 'a.msisdn')
          .where('s.stoppedAt', 'is', null)
          .orderBy('s.startedAt', 'desc')
          .limit(1)
          .as('active'),
      (join) => join.onTrue(),
    )
    .selectAll('a')
    .select(['active.nasId as sessionNasId', 'active.acctSessionId as sessionAcctSessionId', 'active.framedIp as sessionFramedIp'])
    .where('a.id', '=', id)
    .executeTakeFirst()
  if (row === undefined) return undefined
  const { sessionNasId, sessionAcctSessionId, sessionFramedIp, ...attempt } = row
  const session = sessionNasId === null || sessionAcctSessionId === null ? undefined : { nasId: sessionNasId, acctSessionId: sessionAcctSessionId, framedIp: sessionFramedIp }
  return { attempt, session }
}

/** An attempt by id, and whether any accounting for its line was stored at or after `since` (a new session or a newer record). */
export async function findAttemptWithAccountingSince(db: Kysely<Database>, id: string, since: Date): Promise<{ attempt: RechargeAttempt; seen: boolean } | undefined> {
  const row = await db
    .selectFrom('rechargeAttempts as a')
    .selectAll('a')
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('radiusSessions as s')
            .select('s.id')
            .whereRef('s.msisdn', '=', 'a.msisdn')
            .where((w) => w.or([w('s.lastSeenAt', '>=', since), w('s.startedAt', '>=', since)])),
        )
        .as('accountingSeen'),
    )
    .where('a.id', '=', id)
    .executeTakeFirst()
  if (row === undefined) return undefined
  const { accountingSeen, ...attempt } = row
  return { attempt, seen: Boolean(accountingSeen) }
}
