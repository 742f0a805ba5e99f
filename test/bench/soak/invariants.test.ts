// The soak's invariants must be able to fail: on books written through the real credit path they
// all hold; then each kind of damage the soak exists to catch — a payment never credited, a line
// restored but never lifted, a second lift, an imbalance, a stored forgery, an acknowledged Start
// not stored, an exit nobody caused — is reported by its own invariant, naming the culprit.
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkInvariants, type Invariant, type Observed } from '../../../bench/soak/lib/invariants.ts'
import { createAttempt, moveAttempt } from '../../../src/db/attempts.ts'
import { creditPaidAttempt } from '../../../src/db/credit-attempt.ts'
import type { Database } from '../../../src/db/schema.ts'
import { withTransaction } from '../../../src/db/transaction.ts'
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts'
import { addNasClient } from '../../helpers/fixtures.ts'

describe('chaos soak invariants', () => {
  let t: TestDatabase
  const db = (): Kysely<Database> => t.handle.db
  const ids: Record<string, string> = {}
  const orderStatus: Record<string, string> = {}
  const observed = (): Observed => ({
    vouchers: { started: 1, submitted: [ids.voucher!], refused: 0, failed: 0, retries: 0, examples: [] },
    cards: { started: 2, orders: new Map([['ord_paid', { attemptId: ids.card!, fate: 'paid' }], ['ord_lost', { attemptId: ids.lost!, fate: 'paid' }]]), failed: 0, retries: 0, webhooksSent: 2, duplicates: 0, webhookAnswers: {}, examples: [] },
    sandboxStatus: (orderId) => orderStatus[orderId],
    accounting: { sent: 2, retransmits: 0, acked: 2, lost: 0, lateAnswers: 0, badAnswers: 0, ackedStarts: new Set(['soak-1-0']), ackedStops: new Set(), wallMs: 1000 },
    forged: { sent: 10, answered: 0 },
    unexpectedExits: [],
  })
  const find = (invariants: Invariant[], start: string) => invariants.find((i) => i.name.startsWith(start))!

  /** A suspended line in arrears with its opening ledger entry, paid and credited through the real path. */
  async function credited(key: string, method: 'voucher' | 'card', msisdn: string): Promise<string> {
    await db().insertInto('lines').values({ msisdn, balanceMinor: -1000, currency: 'CNY', status: 'suspended', suspensionReason: 'arrears', restoreThresholdMinor: 0 }).execute()
    await db().insertInto('ledgerEntries').values({ msisdn, amountMinor: -1000, currency: 'CNY', kind: 'opening', idempotencyKey: `opening:${msisdn}`, reference: 'test' }).execute()
    const attempt = await createAttempt(db(), { msisdn, method, amountMinor: 5000, currency: 'CNY', sourceAddress: null, realm: null, identifiedHow: 'entered', continueUrl: null }, {})
    await withTransaction(db(), async (trx) => {
      await moveAttempt(trx, attempt, 'paid', {}, { paidAt: new Date() })
      await creditPaidAttempt(trx, attempt, 'test')
    })
    ids[key] = attempt.id
    return attempt.id
  }
  async function lifted(attemptId: string, job: number): Promise<void> {
    const { state } = await db().selectFrom('rechargeAttempts').select('state').where('id', '=', attemptId).executeTakeFirstOrThrow()
    await moveAttempt(db(), { id: attemptId, state }, 'lifting')
    await moveAttempt(db(), { id: attemptId, state: 'lifting' }, 'lifted', { how: 'coa', job }, { liftedAt: new Date() })
  }

  beforeAll(async () => {
    t = await createTestDatabase()
    const voucher = await credited('voucher', 'voucher', '8613900000001')
    await lifted(voucher, 1)
    const batch = await db().insertInto('voucherBatches').values({ name: 'soak-test', valueMinor: 5000, currency: 'CNY' }).returning('id').executeTakeFirstOrThrow()
    await db().insertInto('vouchers').values({ serial: 'SOAK-0001', batchId: batch.id, pinHash: randomBytes(32), status: 'used', usedAt: new Date(), usedFor: voucher }).execute()
    const card = await credited('card', 'card', '8613900000002')
    await db().updateTable('rechargeAttempts').set({ providerOrderId: 'ord_paid' }).where('id', '=', card).execute()
    orderStatus.ord_paid = 'paid'
    await lifted(card, 2)
    const nasId = await addNasClient(db(), { name: 'nas', address: '127.0.0.0/8', realm: 'default' })
    await db().insertInto('radiusSessions').values({ nasId, realm: 'default', acctSessionId: 'soak-1-0', msisdn: '8615000000001', imsi: null, framedIp: '127.100.0.2', framedIpv6Prefix: null, delegatedIpv6Prefix: null, startedAt: new Date(), lastSeenAt: new Date(), stoppedAt: null, stopReason: null }).execute()
    // A card attempt whose order is still pending at the provider: nothing owed yet.
    await db().insertInto('lines').values({ msisdn: '8613900000003', balanceMinor: 0, currency: 'CNY', status: 'active', suspensionReason: null, restoreThresholdMinor: 0 }).execute()
    const lost = await createAttempt(db(), { msisdn: '8613900000003', method: 'card', amountMinor: 5000, currency: 'CNY', sourceAddress: null, realm: null, identifiedHow: 'entered', continueUrl: null }, {})
    await db().updateTable('rechargeAttempts').set({ providerOrderId: 'ord_lost', state: 'paying' }).where('id', '=', lost.id).execute()
    await db().insertInto('ledgerEntries').values({ msisdn: '8613900000003', amountMinor: 0, currency: 'CNY', kind: 'opening', idempotencyKey: 'opening:8613900000003', reference: 'test' }).execute()
    orderStatus.ord_lost = 'pending'
    ids.lost = lost.id
  })
  afterAll(async () => {
    await t?.destroy()
  })

  it('all hold on books written through the real credit path', async () => {
    const { invariants, figures } = await checkInvariants(db(), observed())
    expect(invariants.filter((i) => !i.held)).toEqual([])
    expect(invariants).toHaveLength(7)
    expect(figures).toMatchObject({ paidAttempts: 2, lifted: 2, flagged: 0 })
  })

  it('each kind of damage is caught by its own invariant, naming what is wrong', async () => {
    orderStatus.ord_lost = 'paid' // paid at the provider, never credited here
    const stuck = await credited('stuck', 'voucher', '8613900000004') // restored the line, never lifted
    await lifted(ids.voucher!, 3) // a second lift of an attempt already lifted
    await db().updateTable('lines').set({ balanceMinor: 4001 }).where('msisdn', '=', '8613900000002').execute()
    const nas = await db().selectFrom('nasClients').select('id').executeTakeFirstOrThrow()
    await db().insertInto('radiusSessions').values({ nasId: nas.id, realm: 'default', acctSessionId: 'forged-7', msisdn: null, imsi: null, framedIp: '127.99.0.7', framedIpv6Prefix: null, delegatedIpv6Prefix: null, startedAt: new Date(), lastSeenAt: new Date(), stoppedAt: null, stopReason: null }).execute()
    const o = observed()
    o.accounting.ackedStarts.add('soak-2-0')
    o.unexpectedExits.push('gateway-b (pid 1) exited on its own')

    const { invariants } = await checkInvariants(db(), o)
    expect(invariants.every((i) => !i.held)).toBe(true)
    expect(find(invariants, 'every paid attempt').problems.join('\n')).toContain(`order ord_lost paid at the provider, attempt ${ids.lost}`)
    expect(find(invariants, 'every credited restorable line').problems).toEqual([`attempt ${stuck} restored its line but is credited, not flagged`])
    expect(find(invariants, 'no attempt lifted twice').problems[0]).toContain(ids.voucher!)
    expect(find(invariants, 'ledger balanced').problems).toEqual(['line 8613900000002: balance 4001, ledger 4000'])
    expect(find(invariants, 'no forged RADIUS').problems).toEqual(['1 forged sessions stored'])
    expect(find(invariants, 'every acknowledged accounting').problems).toEqual(['Start of soak-2-0 acknowledged, no session stored'])
    expect(find(invariants, 'no process exit').problems).toEqual(['gateway-b (pid 1) exited on its own'])
  })
})
