// Attempts are created and moved in one statement each (the row and its timeline events together):
// the events keep their order, a move from a state the attempt is no longer in writes nothing at
// all, and a forbidden transition is refused before anything is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attemptEvents, createAttempt, findAttempt, moveAttempt, moveAttemptThrough } from '../../src/db/attempts.ts'
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
})
