// Database down: the accounting server must not answer what it could not store (so the NAS
// retransmits), must not crash, and must store the retransmissions once the database is back.
import { createSocket, type Socket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.ts'
import { type AccountingStack, startAccountingStack } from '../helpers/accounting.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { type PgProxy, startPgProxy } from '../helpers/pg-proxy.ts'
import { signedAccountingRequest, startAttributes } from './helpers/accounting-request.ts'
import { sendAndCollect } from './helpers/udp.ts'

const SECRET = Buffer.from('testing123')

const send = sendAndCollect

// Cutting a connection needs a server to cut; the embedded database lives in this process.
describe.skipIf(!process.env.DATABASE_URL)('accounting while PostgreSQL is unreachable', () => {
  let t: TestDatabase
  let proxy: PgProxy
  let proxied: DatabaseHandle
  let stack: AccountingStack
  let nas: Socket

  beforeAll(async () => {
    t = await createTestDatabase()
    await t.handle.db
      .insertInto('nasClients')
      .values({ name: 'pgw', address: '127.0.0.1', secret: 'testing123', realm: 'default', requireMessageAuthenticator: false, coaHost: null, coaPort: 3799, liftProfile: 'coa' })
      .execute()
    proxy = await startPgProxy(t.url!)
    proxied = await openDatabase({ kind: 'postgres', url: proxy.url, poolSize: 4 })
    stack = await startAccountingStack(proxied.db)
    nas = createSocket('udp4')
    await new Promise<void>((resolve) => nas.bind(0, '127.0.0.1', () => resolve()))
  })
  afterAll(async () => {
    nas?.close()
    await stack?.close()
    await proxied?.close().catch(() => {})
    await proxy?.close()
    await t.destroy()
  })

  it('answers nothing while the database is down, stays up, and stores the retransmissions once it is back', async () => {
    const request = (id: number, session: string, ip: string) =>
      signedAccountingRequest({ identifier: id, secret: SECRET, attributes: startAttributes({ 'Acct-Session-Id': session, 'Framed-IP-Address': ip, 'Framed-IPv6-Prefix': `2409:8a00:${id}::/64` }) })
    expect(await send(nas, stack.port, request(1, 'before-outage', '10.8.0.1'), 5000)).toHaveLength(1)

    await proxy.cut()
    const during = [request(2, 'during-outage-a', '10.8.0.2'), request(3, 'during-outage-b', '10.8.0.3')]
    for (const datagram of during) expect(await send(nas, stack.port, datagram, 1500)).toEqual([])
    expect(await stack.count('drops', { reason: 'not_stored' })).toBeGreaterThanOrEqual(2)
    // A NAS retransmits (same bytes) on its timer: still nothing while the database is away.
    expect(await send(nas, stack.port, during[0]!, 1000)).toEqual([])

    await proxy.restore()
    for (let attempt = 0; attempt < 20; attempt++) {
      const answers = await Promise.all(during.map((d) => send(nas, stack.port, d, 500)))
      if (answers.every((a) => a.length > 0)) break
    }
    // And once more, as a late retransmission: answered again, not stored twice.
    for (const datagram of during) expect(await send(nas, stack.port, datagram, 5000)).toHaveLength(1)
    const rows = await t.handle.db.selectFrom('radiusSessions').select(['acctSessionId']).orderBy('acctSessionId').execute()
    expect(rows.map((r) => r.acctSessionId)).toEqual(['before-outage', 'during-outage-a', 'during-outage-b'])
  })
})
