// What the lift job reads before it acts, in one round trip: the attempt with its line's active
// session.
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
