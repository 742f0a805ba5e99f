// Attempt observers hear of a creation or a change of state only once it is committed: a change
// rolled back with its caller's transaction is never counted, and a nested change waits for the
// outermost commit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AttemptObserver, createAttempt, moveAttempt, observeAttempts } from '../../src/db/attempts.ts'
import { withTransaction } from '../../src/db/transaction.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

describe('attempt observers', () => {
  let t: TestDatabase
  const heard: string[] = []
  const observer: AttemptObserver = {
    created: (method) => heard.push(`created ${method}`),
    moved: (method, to, count = 1) => heard.push(`${method} → ${to} ×${count}`),
  }
  let stop: () => void
  beforeAll(async () => {
    t = await createTestDatabase()
    stop = observeAttempts(t.handle.db, observer)
  })
  afterAll(async () => {
    stop()
    await t.destroy()
  })
  const newAttempt = () =>
    createAttempt(t.handle.db, { msisdn: '8613800000001', method: 'voucher', amountMinor: null, currency: null, sourceAddress: null, realm: null, identifiedHow: 'test', continueUrl: null }, {})

  it('hears a creation and a committed change of state with its payment method', async () => {
    heard.length = 0
    const attempt = await newAttempt()
    await moveAttempt(t.handle.db, attempt, 'paid', {}, { paidAt: new Date() })
    expect(heard).toEqual(['created voucher', 'voucher → paid ×1'])
  })

  it('never hears a change rolled back with the caller\'s transaction', async () => {
    const attempt = await newAttempt()
    heard.length = 0
    await expect(
      withTransaction(t.handle.db, async (trx) => {
        await moveAttempt(trx, attempt, 'paid', {}, { paidAt: new Date() })
        expect(heard).toEqual([]) // not before the commit either
        throw new Error('the caller gives up')
      }),
    ).rejects.toThrow('the caller gives up')
    expect(heard).toEqual([])
    await withTransaction(t.handle.db, async (trx) => {
      await moveAttempt(trx, attempt, 'declined', { reason: 'test' })
      expect(heard).toEqual([])
    })
    expect(heard).toEqual(['voucher → declined ×1'])
  })

  it('stops hearing once the observer is removed', async () => {
    const other: string[] = []
    const remove = observeAttempts(t.handle.db, { created: () => other.push('created'), moved: () => other.push('moved') })
    await newAttempt()
    remove()
    await newAttempt()
    expect(other).toEqual(['created'])
  })
})
