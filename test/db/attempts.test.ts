// Attempts are created and moved in one statement each (the row and its timeline events together):
// the events keep their order, a move from a state the attempt is no longer in writes nothing at
// all, a forbidden transition is refused before anything is written, and the jobs a move carries
// (enqueued, or the running job marked done) are written with it or not at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addEvents, attemptEvents, createAttempt, findAttempt, moveAttempt, moveAttemptThrough } from '../../src/db/attempts.ts'
import { InvalidTransitionError } from '../../src/recharge/attempt-states.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

describe('attempts: creation and moves, one statement each', () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t?.destroy()
  })
  const db = () => t.handle.db
  const newAttempt = () =>
    createAttempt(db(), { msisdn: '8613800000002', method: 'voucher', amountMinor: null, currency: null, sourceAddress: '10.1.2.3', realm: 'default', identifiedHow: 'test', continueUrl: null }, { serial: 'S-1' })

  it('creates the attempt with its "created" event', async () => {
    const attempt = await newAttempt()
    expect(attempt).toMatchObject({ state: 'created', msisdn: '8613800000002', sourceAddress: '10.1.2.3' })
    expect(attempt.reference).toMatch(/^R[A-Z2-9]{8}$/)
    expect(await findAttempt(db(), attempt.id)).toEqual(attempt)
    const events = await attemptEvents(db(), attempt.id)
    expect(events.map((e) => [e.kind, e.detail])).toEqual([['created', { serial: 'S-1' }]])
  })

  it('moves through several states with the preceding events first, in order, and the columns of every step', async () => {
    const attempt = await newAttempt()
    const paidAt = new Date('2026-11-22T01:02:03Z')
    const creditedAt = new Date('2026-11-22T01:02:04Z')
    await moveAttemptThrough(
      db(),
      attempt,
      [
        { to: 'paid', detail: { method: 'voucher' }, extra: { paidAt, amountMinor: 5000, currency: 'CNY' } },
        { to: 'credited', detail: { balanceAfterMinor: 4000 }, extra: { creditedAt } },
      ],
      [{ kind: 'note-a', detail: { n: 1 } }, { kind: 'note-b', detail: { n: 2 } }],
    )
    expect(await findAttempt(db(), attempt.id)).toMatchObject({ state: 'credited', paidAt, creditedAt, amountMinor: 5000, currency: 'CNY' })
    const events = await attemptEvents(db(), attempt.id)
    expect(events.map((e) => [e.kind, e.detail])).toEqual([
      ['created', { serial: 'S-1' }],
      ['note-a', { n: 1 }],
      ['note-b', { n: 2 }],
      ['paid', { from: 'created', method: 'voucher' }],
      ['credited', { from: 'paid', balanceAfterMinor: 4000 }],
    ])
  })

  it('a move from a state the attempt has left throws and writes neither the row nor any event', async () => {
    const attempt = await newAttempt()
    await moveAttempt(db(), attempt, 'declined', { reason: 'invalid' })
    // `attempt` still says created: a concurrent writer's view.
    await expect(moveAttemptThrough(db(), attempt, [{ to: 'paid', extra: { paidAt: new Date() } }], [{ kind: 'radius', detail: {} }])).rejects.toThrow(/no longer created/)
    expect(await findAttempt(db(), attempt.id)).toMatchObject({ state: 'declined', paidAt: null })
    expect((await attemptEvents(db(), attempt.id)).map((e) => e.kind)).toEqual(['created', 'declined'])
  })

  it('refuses a forbidden transition anywhere in the steps before writing', async () => {
    const attempt = await newAttempt()
    await expect(moveAttemptThrough(db(), attempt, [{ to: 'paid' }, { to: 'lifted' }])).rejects.toBeInstanceOf(InvalidTransitionError)
    expect((await findAttempt(db(), attempt.id))!.state).toBe('created')
    expect((await attemptEvents(db(), attempt.id)).map((e) => e.kind)).toEqual(['created'])
  })

  it('appends events in order to an existing attempt, and refuses events for an attempt that does not exist', async () => {
    const attempt = await newAttempt()
    await addEvents(db(), attempt.id, [{ kind: 'radius', detail: { n: 1 } }, { kind: 'radius', detail: { n: 2 } }])
    expect((await attemptEvents(db(), attempt.id)).map((e) => [e.kind, e.detail])).toEqual([['created', { serial: 'S-1' }], ['radius', { n: 1 }], ['radius', { n: 2 }]])
    await expect(addEvents(db(), 'no-such-attempt-id-0000', [{ kind: 'radius', detail: {} }])).rejects.toThrow(/does not exist/)
    expect(await attemptEvents(db(), 'no-such-attempt-id-0000')).toEqual([])
  })

  describe('jobs in the move statement', () => {
    /** A job row leased by `worker`, as the worker leaves it while the job runs. */
    async function leasedJob(worker: string): Promise<number> {
      const row = await db()
        .insertInto('jobs')
        .values({ kind: 'lift', payload: '{}', runAt: new Date(), lockedBy: worker, lockedUntil: new Date(Date.now() + 60_000), tries: 1 })
        .returning('id')
        .executeTakeFirstOrThrow()
      return row.id
    }
    const jobRow = (id: number) => db().selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const byKey = (key: string) => db().selectFrom('jobs').selectAll().where('dedupeKey', '=', key).execute()

    it('enqueues the jobs and marks the running job done with the move, and says so once committed', async () => {
      const attempt = await newAttempt()
      const running = await leasedJob('worker-a')
      let committed = 0
      const runAt = new Date(Date.now() + 10_000)
      const key = `confirm:${attempt.id}`
      await moveAttemptThrough(db(), attempt, [{ to: 'declined' }], [], {
        enqueue: [{ kind: 'confirm', payload: { attemptId: attempt.id }, dedupeKey: key, runAt, maxTries: 30 }],
        complete: { id: running, worker: 'worker-a', committed: () => void committed++ },
      })
      expect(committed).toBe(1)
      expect(await jobRow(running)).toMatchObject({ lockedBy: null, lockedUntil: null })
      expect((await jobRow(running)).doneAt).not.toBeNull()
      const [confirm] = await byKey(key)
      expect(confirm).toMatchObject({ kind: 'confirm', payload: { attemptId: attempt.id }, maxTries: 30, tries: 0, doneAt: null })
      expect(confirm!.runAt.getTime()).toBe(runAt.getTime())
    })

    it('writes no job and leaves the running job due when the move does not happen', async () => {
      const attempt = await newAttempt()
      await moveAttempt(db(), attempt, 'declined', { reason: 'invalid' })
      const running = await leasedJob('worker-b')
      let committed = 0
      const key = `lift:${attempt.id}`
      await expect(
        moveAttemptThrough(db(), attempt, [{ to: 'paid' }], [], {
          enqueue: [{ kind: 'lift', payload: { attemptId: attempt.id }, dedupeKey: key }],
          complete: { id: running, worker: 'worker-b', committed: () => void committed++ },
        }),
      ).rejects.toThrow(/no longer created/)
      expect(committed).toBe(0)
      expect(await jobRow(running)).toMatchObject({ doneAt: null, lockedBy: 'worker-b' })
      expect(await byKey(key)).toEqual([])
    })

    it('does not mark done a job whose lease another worker holds now (the lease expired and moved on)', async () => {
      const attempt = await newAttempt()
      const running = await leasedJob('worker-now')
      await moveAttemptThrough(db(), attempt, [{ to: 'declined' }], [], { complete: { id: running, worker: 'worker-then', committed: () => {} } })
      expect(await jobRow(running)).toMatchObject({ doneAt: null, lockedBy: 'worker-now' })
    })

    it('enqueues a job once per dedupe key, and the default number of tries when none is given', async () => {
      const first = await newAttempt()
      const second = await newAttempt()
      const key = `shared:${first.id}`
      await moveAttemptThrough(db(), first, [{ to: 'declined' }], [], { enqueue: [{ kind: 'x', payload: { n: 1 }, dedupeKey: key }] })
      await moveAttemptThrough(db(), second, [{ to: 'declined' }], [], { enqueue: [{ kind: 'x', payload: { n: 2 }, dedupeKey: key }] })
      const rows = await byKey(key)
      expect(rows.map((r) => r.payload)).toEqual([{ n: 1 }])
      expect(rows[0]!.maxTries).toBe(10)
    })
  })
})
