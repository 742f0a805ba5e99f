// When every webhook is lost, the psp-reconcile job is the only thing that settles a card attempt:
// it re-queries the order from a minute after creation, retries with the worker's backoff, and
// expires the attempt once the order's lifetime (30 min) has passed. Time is simulated by moving
// the job's run_at to now and the attempt's created_at back by the same amount, so the real worker
// (main.ts's defaults: backoff 2 s doubling to 300 s) runs every try in seconds.
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ORDER_LIFETIME_MS, startCardPayment } from '../../src/adapters/payment/card-payment.ts'
import { createHostedPsp, type HostedPsp } from '../../src/adapters/payment/hosted-psp.ts'
import { SANDBOX_MERCHANT } from '../../src/config/psp-config.ts'
import { createAttempt, findAttempt } from '../../src/db/attempts.ts'
import type { RechargeAttempt } from '../../src/db/schema.ts'
import { createPspReconcileJob } from '../../src/jobs/psp-reconcile-job.ts'
import { type JobWorker, startJobWorker } from '../../src/jobs/worker.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { type SandboxPsp, startSandboxPsp } from '../../src/sandbox/sandbox-psp.ts'
import { buildTestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { freePort, waitFor } from '../helpers/process.ts'

describe('card attempts whose webhooks never arrive: the psp-reconcile job', () => {
  let t: TestDatabase
  let sandbox: SandboxPsp
  let psp: HostedPsp
  let app: FastifyInstance
  let base: string
  let worker: JobWorker
  let n = 0
  const db = () => t.handle.db

  beforeAll(async () => {
    t = await createTestDatabase()
    sandbox = await startSandboxPsp(SANDBOX_MERCHANT)
    psp = createHostedPsp({ url: sandbox.url, ...SANDBOX_MERCHANT, timeoutMs: 5000 })
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    app = (await buildTestApp(t.handle, { PORTAL_URL: base }, { psp })).app
    await app.listen({ host: '127.0.0.1', port })
    worker = startJobWorker({ db: db(), log: createLogger('silent'), handlers: { 'psp-reconcile': createPspReconcileJob({ db: db(), psp, creditMode: 'built-in' }) }, pollMs: 50 })
  })
  afterAll(async () => {
    await worker?.stop(1000)
    await app?.close()
    await sandbox?.close()
    await t?.destroy()
  })

  async function cardAttempt(): Promise<{ attempt: RechargeAttempt; payUrl: string; msisdn: string }> {
    const msisdn = `86136000000${String(n++).padStart(2, '0')}`
    await db().insertInto('lines').values({ msisdn, balanceMinor: 0, currency: 'CNY', status: 'active', suspensionReason: null, restoreThresholdMinor: 0 }).execute()
    const attempt = await createAttempt(db(), { msisdn, method: 'card', amountMinor: 5000, currency: 'CNY', sourceAddress: null, realm: null, identifiedHow: 'entered', continueUrl: null }, {})
    const started = await startCardPayment(db(), psp, attempt, { returnUrl: `${base}/recharge/${attempt.id}/return`, notifyUrl: `${base}/webhooks/psp` })
    if ('failed' in started) throw new Error(started.failed)
    return { attempt, payUrl: started.payUrl, msisdn }
  }

  /** Let `ms` pass for the attempt and its reconcile job. */
  async function timePasses(attemptId: string, ms: number): Promise<void> {
    await sql`update recharge_attempts set created_at = created_at - ${ms} * interval '1 millisecond' where id = ${attemptId}`.execute(db())
    await db().updateTable('jobs').set({ runAt: sql<Date>`now()` }).where('dedupeKey', '=', `psp-reconcile:${attemptId}`).execute()
    worker.nudge()
  }

  let abandoned: { attempt: RechargeAttempt; simulatedMs: number; tries: number } | undefined

  it('re-queries an order nobody paid through all of its tries (each try after the backoff the worker chose)', async () => {
    const { attempt } = await cardAttempt()
    let simulatedMs = 0
    for (let round = 0; round < 20; round++) {
      const job = await db().selectFrom('jobs').selectAll().where('dedupeKey', '=', `psp-reconcile:${attempt.id}`).executeTakeFirstOrThrow()
      if (job.doneAt !== null) {
        abandoned = { attempt, simulatedMs, tries: job.tries }
        break
      }
      const waitMs = Math.max(0, job.runAt.getTime() - Date.now())
      simulatedMs += waitMs
      await timePasses(attempt.id, waitMs)
      await waitFor(async () => {
        const now = await db().selectFrom('jobs').select(['tries', 'lockedBy', 'doneAt']).where('id', '=', job.id).executeTakeFirstOrThrow()
        return now.tries > job.tries && now.lockedBy === null
      }, 10_000, `reconcile try ${job.tries + 1}`)
    }
    expect(abandoned).toBeDefined()
    console.log(`[reliability-reconcile] the reconcile job finished after ${abandoned!.tries} tries, ${(abandoned!.simulatedMs / 60_000).toFixed(1)} simulated minutes after the order (order lifetime ${ORDER_LIFETIME_MS / 60_000} min)`)
  }, 120_000)

  it('expires the attempt once the order lifetime has passed (instead of leaving it paying for ever)', async () => {
    expect(abandoned, 'needs the previous test').toBeDefined()
    const id = abandoned!.attempt.id
    // Out of tries before the order closed, the job left one last look for just after it closes.
    const last = await db().selectFrom('jobs').selectAll().where('dedupeKey', '=', `psp-reconcile:${id}:final`).executeTakeFirstOrThrow()
    const attempt = (await findAttempt(db(), id))!
    expect(last.runAt.getTime()).toBeGreaterThan(attempt.createdAt.getTime() + ORDER_LIFETIME_MS)
    // Let the order's lifetime pass, and the last look run.
    await sql`update recharge_attempts set created_at = created_at - ${ORDER_LIFETIME_MS} * interval '1 millisecond' where id = ${id}`.execute(db())
    await db().updateTable('jobs').set({ runAt: sql<Date>`now()` }).where('id', '=', last.id).execute()
    worker.nudge()
    await waitFor(async () => (await findAttempt(db(), id))!.state === 'expired', 10_000, 'the attempt to expire')
  })

  let latePaid: { attemptId: string; msisdn: string } | undefined

  it('an attempt expired by the reconcile job can still be paid at the provider, and the webhook is answered 200', async () => {
    const { attempt, payUrl, msisdn } = await cardAttempt()
    // The reconcile job finds the order still pending after its lifetime: expired.
    await timePasses(attempt.id, ORDER_LIFETIME_MS + 60_000)
    await waitFor(async () => (await findAttempt(db(), attempt.id))!.state === 'expired', 10_000, 'the attempt to expire')
    // The subscriber pays late on the provider's page; the sandbox sends the signed webhook.
    const orderId = payUrl.split('/').pop()!
    const paid = await fetch(payUrl, { method: 'POST', body: new URLSearchParams({ action: 'pay' }), redirect: 'manual' })
    expect(paid.status).toBe(303)
    expect(sandbox.orders.get(orderId)!.status).toBe('paid')
    expect(await sandbox.notify(orderId)).toBe(200)
    latePaid = { attemptId: attempt.id, msisdn }
  }, 60_000)

  it('a payment made after the attempt expired is credited or flagged for support, never silently dropped', async () => {
    expect(latePaid, 'needs the previous test').toBeDefined()
    const after = (await findAttempt(db(), latePaid!.attemptId))!
    const credits = await db().selectFrom('ledgerEntries').select('idempotencyKey').where('msisdn', '=', latePaid!.msisdn).execute()
    expect(credits.length === 1 || after.needsSupport, `state ${after.state}, ${credits.length} credits, needs_support ${after.needsSupport}`).toBe(true)
  })
})
