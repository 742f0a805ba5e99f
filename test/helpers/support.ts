// Support-side fixtures: a NAS played by FreeRADIUS, suspended lines with live sessions, and
// attempts moved through the real state machine (created → paid → credited), optionally lifted by
// the real lift job so their timelines hold real RADIUS exchanges.
import type { Kysely } from 'kysely'
import { createRadiusNetwork } from '../../src/adapters/network/radius-network.ts'
import { createAttempt, moveAttempt } from '../../src/db/attempts.ts'
import type { Database, RechargeAttempt } from '../../src/db/schema.ts'
import { refreshNasDirectory } from '../../src/identification/session-upkeep.ts'
import { createLiftJob } from '../../src/jobs/lift-job.ts'
import { createDynamicAuthorizationClient, type DynamicAuthorizationClient } from '../../src/radius/dynamic-authorization-client.ts'
import { createNasDirectory } from '../../src/radius/nas-directory.ts'
import type { NetworkPort } from '../../src/recharge/ports.ts'
import { freeradiusPath } from './peers.ts'
import { startSessions } from './fixtures.ts'
import { type FreeRadius, startFreeRadius } from '../radius/helpers/freeradius.ts'

/** RFC 5080's schedule scaled down for tests. */
export const FAST_SCHEDULE = { initialMs: 100, maxIntervalMs: 400, maxSends: 3, deadlineMs: 1500 }

/** FreeRADIUS as the NAS and the gateway's network adapter pointed at it. */
export interface NasPeer {
  nasId: number
  network: NetworkPort
  /** Re-read NAS clients (after adding one). */
  refresh(): Promise<void>
  close(): Promise<void>
}

/** Start FreeRADIUS and register it as NAS `name` for `address` (CIDR). */
export async function startNasPeer(db: Kysely<Database>, name: string, address: string): Promise<NasPeer> {
  const secret = 'support-test-secret'
  const radius: FreeRadius = await startFreeRadius(freeradiusPath()!, secret)
  const nas = await db
    .insertInto('nasClients')
    .values({ name, address, secret, realm: 'default', requireMessageAuthenticator: false, coaHost: '127.0.0.1', coaPort: radius.port, liftProfile: 'coa' })
    .returning('id')
    .executeTakeFirstOrThrow()
  const directory = createNasDirectory()
  await refreshNasDirectory(db, directory)
  const client: DynamicAuthorizationClient = await createDynamicAuthorizationClient({ bindHost: '127.0.0.1', schedule: FAST_SCHEDULE })
  return {
    nasId: nas.id,
    network: createRadiusNetwork({ directory, client }),
    refresh: () => refreshNasDirectory(db, directory),
    async close() {
      await client.close()
      await radius.stop()
    },
  }
}

/** What a seeded attempt looks like. */
export interface SeedAttempt {
  msisdn: string
  address: string
  nasId: number
  acctSessionId: string
  serial: string
  /** How far to take it: paid, credited (default), or lifted through the lift job and `network`. */
  until?: 'paid' | 'credited' | 'lifted'
  network?: NetworkPort
}

/** A suspended line with an active session and a voucher attempt taken as far as `until`. */
export async function seedAttempt(db: Kysely<Database>, seed: SeedAttempt): Promise<RechargeAttempt> {
  await db.insertInto('lines').values({ msisdn: seed.msisdn, balanceMinor: -1000, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 }).onConflict((oc) => oc.column('msisdn').doNothing()).execute()
  await startSessions(db, [{ nasId: seed.nasId, acctSessionId: seed.acctSessionId, msisdn: seed.msisdn, framedIp: seed.address }])
  const attempt = await createAttempt(db, { msisdn: seed.msisdn, method: 'voucher', amountMinor: null, currency: null, sourceAddress: seed.address, realm: 'default', identifiedHow: 'session', continueUrl: null }, { via: 'test' })
  await moveAttempt(db, attempt, 'paid', { method: 'voucher', serial: seed.serial }, { amountMinor: 5000, currency: 'CNY', voucherSerial: seed.serial, paidAt: new Date() })
  if (seed.until === 'paid') return (await db.selectFrom('rechargeAttempts').selectAll().where('id', '=', attempt.id).executeTakeFirstOrThrow())
  await moveAttempt(db, { id: attempt.id, state: 'paid' }, 'credited', { balanceAfterMinor: 4000 }, { creditedAt: new Date() })
  if (seed.until === 'lifted') {
    if (seed.network === undefined) throw new Error('seedAttempt until lifted needs a network')
    await createLiftJob({ db, network: seed.network })({ id: 0, kind: 'lift', payload: { attemptId: attempt.id }, tries: 1, maxTries: 5, complete: async () => {}, lease: { id: 0, worker: 'test', committed: () => {} } })
  }
  return db.selectFrom('rechargeAttempts').selectAll().where('id', '=', attempt.id).executeTakeFirstOrThrow()
}
