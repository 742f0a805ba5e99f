// The lift job under at-least-once delivery, against FreeRADIUS as the NAS. Found by the chaos
// soak (bench/soak): a lift whose "done" could not be recorded (pg_terminate_backend killed the
// connection right after the CoA-ACK) ran again and sent the NAS a second CoA-Request for a line
// it had already restored — with a Disconnect profile, a second Disconnect for a subscriber who
// had just come back. A re-run of the same job must change nothing; a new lift job still lifts.
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRadiusNetwork } from '../../src/adapters/network/radius-network.ts'
import { attemptEvents, createAttempt, findAttempt, moveAttempt } from '../../src/db/attempts.ts'
import type { Database } from '../../src/db/schema.ts'
import { createSessionRecorder } from '../../src/identification/session-recorder.ts'
import { refreshNasDirectory } from '../../src/identification/session-upkeep.ts'
import { createLiftJob } from '../../src/jobs/lift-job.ts'
import type { JobHandler, RunningJob } from '../../src/jobs/worker.ts'
import { createDynamicAuthorizationClient, type DynamicAuthorizationClient } from '../../src/radius/dynamic-authorization-client.ts'
import { createNasDirectory } from '../../src/radius/nas-directory.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { freeradiusPath, peerAvailable } from '../helpers/peers.ts'
import { type FreeRadius, startFreeRadius } from '../radius/helpers/freeradius.ts'

const binary = freeradiusPath()
const available = peerAvailable('FreeRADIUS server', binary ? undefined : 'freeradius not installed (apt-get install freeradius)')
const SECRET = 'lift-job-secret'

describe.skipIf(!available)('lift job: a re-run of the same job never lifts twice', () => {
  let t: TestDatabase
  let radius: FreeRadius
  let client: DynamicAuthorizationClient
  let lift: JobHandler
  let n = 0
  const db = (): Kysely<Database> => t.handle.db

  beforeAll(async () => {
    t = await createTestDatabase()
    radius = await startFreeRadius(binary!, SECRET)
    await db().insertInto('nasClients').values({ name: 'pgw', address: '10.9.0.0/24', secret: SECRET, realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: radius.port, liftProfile: 'coa' }).execute()
    const directory = createNasDirectory()
    await refreshNasDirectory(db(), directory)
    client = await createDynamicAuthorizationClient({ bindHost: '127.0.0.1' })
    lift = createLiftJob({ db: db(), network: createRadiusNetwork({ directory, client }) })
  })
  afterAll(async () => {
    await client?.close()
    await radius?.stop()
    await t?.destroy()
  })

  /** A line restored in billing with an active session, and its credited attempt. */
  async function creditedAttempt(): Promise<string> {
    n++
    const msisdn = `8613700000${String(n).padStart(3, '0')}`
    await db().insertInto('lines').values({ msisdn, balanceMinor: 4000, currency: 'CNY', status: 'active', suspensionReason: null, restoreThresholdMinor: 0 }).execute()
    const nas = await db().selectFrom('nasClients').select('id').executeTakeFirstOrThrow()
    await createSessionRecorder(db(), { touchAfterMs: 0 }).record({ kind: 'start', nasId: nas.id, realm: 'default', acctSessionId: `lift-${n}`, msisdn, imsi: null, framedIp: `10.9.0.${n}`, framedIpv6Prefix: null, delegatedIpv6Prefix: null, eventTime: new Date(), stopReason: null })
    const attempt = await createAttempt(db(), { msisdn, method: 'voucher', amountMinor: 5000, currency: 'CNY', sourceAddress: `10.9.0.${n}`, realm: 'default', identifiedHow: 'session', continueUrl: null }, {})
    await moveAttempt(db(), attempt, 'paid', {}, { paidAt: new Date() })
    await moveAttempt(db(), { id: attempt.id, state: 'paid' }, 'credited', { restored: true }, { creditedAt: new Date() })
    return attempt.id
  }

  // Run outside a worker (no jobs row): completing it has nothing to mark.
  const job = (id: number, attemptId: string, tries = 1): RunningJob => ({ id, kind: 'lift', payload: { attemptId }, tries, maxTries: 10, complete: async () => {}, lease: { id, worker: 'test', committed: () => {} } })
  const kinds = async (attemptId: string) => (await attemptEvents(db(), attemptId)).map((e) => e.kind)

  it('runs again after it lifted (its completion was lost): no second CoA-Request, no second "lifted"', async () => {
    const attemptId = await creditedAttempt()
    await lift(job(7001, attemptId))
    expect((await findAttempt(db(), attemptId))!.state).toBe('lifted')
    expect(await kinds(attemptId)).toEqual(['created', 'paid', 'credited', 'lifting', 'radius', 'lifted'])
    // The worker's retry of the very same job, as after completeJob failed on a killed connection.
    await lift(job(7001, attemptId, 2))
    expect(await kinds(attemptId)).toEqual(['created', 'paid', 'credited', 'lifting', 'radius', 'lifted'])
  })

  it('the same holds once the lift is confirmed by accounting', async () => {
    const attemptId = await creditedAttempt()
    await lift(job(7002, attemptId))
    await moveAttempt(db(), { id: attemptId, state: 'lifted' }, 'confirmed', { by: 'accounting' }, { confirmedAt: new Date() })
    await lift(job(7002, attemptId, 2))
    expect(await kinds(attemptId)).toEqual(['created', 'paid', 'credited', 'lifting', 'radius', 'lifted', 'confirmed'])
  })

  it('a new lift job for an already lifted attempt (a support retry) does lift again', async () => {
    const attemptId = await creditedAttempt()
    await lift(job(7003, attemptId))
    await lift(job(7004, attemptId))
    const events = await kinds(attemptId)
    expect(events.filter((k) => k === 'radius')).toHaveLength(2)
    expect(events.filter((k) => k === 'lifted')).toHaveLength(2)
    expect((await findAttempt(db(), attemptId))!.state).toBe('lifted')
  })
})
