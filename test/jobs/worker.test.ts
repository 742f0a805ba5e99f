// The job worker's in-transaction completion: a handler that marks its job done inside its own
// transaction commits the work and "done" together; when that transaction rolls back the job is
// neither done nor lost, it is retried like any failure.
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { enqueueJob } from '../../src/db/jobs.ts'
import type { Database } from '../../src/db/schema.ts'
import { withTransaction } from '../../src/db/transaction.ts'
import { startJobWorker } from '../../src/jobs/worker.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { waitFor } from '../helpers/process.ts'

// voucher_failures stands in for a handler's own writes (any table with no constraints would do).
describe('job worker: completing a job inside the handler transaction', () => {
  let t: TestDatabase
  const db = (): Kysely<Database> => t.handle.db

  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t?.destroy()
  })

  const jobRow = (key: string) => db().selectFrom('jobs').selectAll().where('dedupeKey', '=', key).executeTakeFirstOrThrow()

  it('commits the work and "done" together, runs the job once, and does not mark it again', async () => {
    await enqueueJob(db(), { kind: 'note', payload: { text: 'once' }, dedupeKey: 'note:once' })
    const runs: number[] = []
    const worker = startJobWorker({
      db: db(),
      log: createLogger('silent'),
      pollMs: 50,
      handlers: {
        note: async (job) => {
          runs.push(job.tries)
          await withTransaction(db(), async (trx) => {
            await trx.insertInto('voucherFailures').values({ subject: 'note:once' }).execute()
            await job.complete(trx)
            // Inside the transaction the job is already done (the same commit will make it durable).
            const row = await trx.selectFrom('jobs').select(['doneAt', 'lockedBy']).where('id', '=', job.id).executeTakeFirstOrThrow()
            expect(row.doneAt).not.toBeNull()
            expect(row.lockedBy).toBeNull()
          })
        },
      },
    })
    try {
      await waitFor(async () => (await jobRow('note:once')).doneAt !== null, 5000, 'the job done')
      await new Promise((r) => setTimeout(r, 300)) // several polls: it must not run again
    } finally {
      await worker.stop(1000)
    }
    expect(runs).toEqual([1])
    const row = await jobRow('note:once')
    expect(row).toMatchObject({ tries: 1, lockedBy: null, lastError: null })
    const written = await db().selectFrom('voucherFailures').select('subject').where('subject', '=', 'note:once').execute()
    expect(written).toHaveLength(1)
  })

  it('a transaction that completed the job and then rolled back leaves it due: it is retried, and done only by the try that commits', async () => {
    await enqueueJob(db(), { kind: 'flaky', payload: {}, dedupeKey: 'flaky:1' })
    const runs: number[] = []
    const worker = startJobWorker({
      db: db(),
      log: createLogger('silent'),
      pollMs: 50,
      backoffBaseMs: 20,
      handlers: {
        flaky: async (job) => {
          runs.push(job.tries)
          await withTransaction(db(), async (trx) => {
            await trx.insertInto('voucherFailures').values({ subject: `flaky:${job.tries}` }).execute()
            await job.complete(trx)
            if (job.tries === 1) throw new Error('rolled back after complete')
          })
        },
      },
    })
    try {
      await waitFor(async () => (await jobRow('flaky:1')).doneAt !== null, 5000, 'the job done on its second try')
    } finally {
      await worker.stop(1000)
    }
    expect(runs).toEqual([1, 2])
    expect(await jobRow('flaky:1')).toMatchObject({ tries: 2, lastError: 'rolled back after complete', lockedBy: null })
    const written = await db().selectFrom('voucherFailures').select('subject').where('subject', 'like', 'flaky:%').orderBy('subject').execute()
    expect(written.map((w) => w.subject)).toEqual(['flaky:2'])
  })
})
