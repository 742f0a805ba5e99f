// The confirm sweep: a lifted attempt is confirmed (with its event) once its line sent accounting
// after the lift, and not before; attempts lifted before the window, or in other states, are left
// alone; the sweep started as main.ts starts it confirms on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attemptEvents, confirmLiftedAttempts, createAttempt, findAttempt, moveAttemptThrough } from '../../src/db/attempts.ts'
import { startConfirmSweep } from '../../src/jobs/confirm-sweep.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { addNasClient, startSessions } from '../helpers/fixtures.ts'
import { waitFor } from '../helpers/process.ts'

describe('confirm sweep', () => {
  let t: TestDatabase
  let nasId: number
  beforeAll(async () => {
    t = await createTestDatabase()
    nasId = await addNasClient(t.handle.db, { name: 'sweep-nas', address: '127.0.0.1/32', realm: 'default' })
  })
  afterAll(async () => {
    await t?.destroy()
  })
  const db = () => t.handle.db
  let n = 0

  /** An attempt for a new line, moved to `state` (lifted at `liftedAt` when lifted). */
  async function attemptIn(state: 'lifted' | 'credited', liftedAt = new Date()): Promise<{ id: string; msisdn: string }> {
    n++
    const msisdn = `861390000${String(n).padStart(4, '0')}`
    const attempt = await createAttempt(db(), { msisdn, method: 'voucher', amountMinor: 5000, currency: 'CNY', sourceAddress: `10.7.0.${n}`, realm: 'default', identifiedHow: 'test', continueUrl: null }, {})
    const steps = [{ to: 'paid' as const }, { to: 'credited' as const }, ...(state === 'lifted' ? [{ to: 'lifting' as const }, { to: 'lifted' as const, extra: { liftedAt } }] : [])]
    await moveAttemptThrough(db(), attempt, steps)
    // The move stamps updated_at with the time of the move: the lift's time here.
    await db().updateTable('rechargeAttempts').set({ updatedAt: liftedAt }).where('id', '=', attempt.id).execute()
    return { id: attempt.id, msisdn }
  }
  const state = async (id: string) => (await findAttempt(db(), id))!.state

  it('confirms a lifted attempt once accounting for its line is stored after the lift, with its event', async () => {
    const waiting = await attemptIn('lifted')
    expect(await confirmLiftedAttempts(db(), new Date(Date.now() - 60_000))).toBe(0)
    expect(await state(waiting.id)).toBe('lifted')

    await startSessions(db(), [{ nasId, acctSessionId: `s-${waiting.id}`, msisdn: waiting.msisdn, framedIp: '10.7.1.1' }])
    expect(await confirmLiftedAttempts(db(), new Date(Date.now() - 60_000))).toBe(1)
    const attempt = (await findAttempt(db(), waiting.id))!
    expect(attempt.state).toBe('confirmed')
    expect(attempt.confirmedAt).not.toBeNull()
    const events = await attemptEvents(db(), waiting.id)
    expect(events.at(-1)).toMatchObject({ kind: 'confirmed', detail: { from: 'lifted', by: 'accounting' } })
    // A second sweep finds nothing more to do.
    expect(await confirmLiftedAttempts(db(), new Date(Date.now() - 60_000))).toBe(0)
    expect((await attemptEvents(db(), waiting.id)).filter((e) => e.kind === 'confirmed')).toHaveLength(1)
  })

  it('does not count accounting from before the lift', async () => {
    const line = await attemptIn('credited')
    await startSessions(db(), [{ nasId, acctSessionId: `old-${line.id}`, msisdn: line.msisdn, framedIp: '10.7.1.2' }])
    // Lifted after that session's Start: still waiting for a newer record.
    const later = new Date(Date.now() + 2000)
    await moveAttemptThrough(db(), { id: line.id, state: 'credited' }, [{ to: 'lifting' }, { to: 'lifted', extra: { liftedAt: later } }])
    expect(await confirmLiftedAttempts(db(), new Date(Date.now() - 60_000))).toBe(0)
    expect(await state(line.id)).toBe('lifted')
  })

  it('leaves attempts lifted before the window, and attempts in other states, alone', async () => {
    const old = await attemptIn('lifted', new Date(Date.now() - 4 * 3600_000))
    const credited = await attemptIn('credited')
    await startSessions(db(), [
      { nasId, acctSessionId: `s-${old.id}`, msisdn: old.msisdn, framedIp: '10.7.1.3' },
      { nasId, acctSessionId: `s-${credited.id}`, msisdn: credited.msisdn, framedIp: '10.7.1.4' },
    ])
    expect(await confirmLiftedAttempts(db(), new Date(Date.now() - 3 * 3600_000))).toBe(0)
    expect(await state(old.id)).toBe('lifted')
    expect(await state(credited.id)).toBe('credited')
  })

  it('runs on its own every few moments once started, and stops', async () => {
    const stop = startConfirmSweep({ db: db(), log: createLogger('silent'), everyMs: 50 })
    try {
      const waiting = await attemptIn('lifted')
      await startSessions(db(), [{ nasId, acctSessionId: `s-${waiting.id}`, msisdn: waiting.msisdn, framedIp: '10.7.1.5' }])
      await waitFor(async () => (await state(waiting.id)) === 'confirmed', 5000, 'the sweep to confirm the lift')
    } finally {
      await stop()
    }
  })
})
