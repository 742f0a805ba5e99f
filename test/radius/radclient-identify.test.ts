// The whole identification path with real peers: Debian's radclient (FreeRADIUS 3.2) sends the
// accounting, the gateway stores it, and an HTTP request from the subscriber's loopback address
// over a real socket is identified as that line.
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AccountingStack, startAccountingStack } from '../helpers/accounting.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { peerAvailable, radclientPath } from '../helpers/peers.ts'
import { runRadclient } from './helpers/udp.ts'

const radclient = radclientPath()
const available = peerAvailable('FreeRADIUS radclient', radclient ? undefined : 'radclient not on PATH (apt-get install freeradius-utils)')

function identifyFrom(port: number, localAddress: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/identify', localAddress, agent: false }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve(JSON.parse(body) as Record<string, unknown>))
    })
    req.on('error', reject)
    req.end()
  })
}

function record(status: string, sessionId: string, address: string, msisdn: string, extra = ''): string {
  return [
    `Acct-Status-Type = ${status}`,
    `Acct-Session-Id = "${sessionId}"`,
    `Framed-IP-Address = ${address}`,
    `Calling-Station-Id = "${msisdn}"`,
    'NAS-IP-Address = 127.0.0.1',
    'Called-Station-Id = "cmnet"',
    extra,
  ].filter((l) => l !== '').join('\n')
}

describe.skipIf(!available)('radclient accounting → identification over real sockets', () => {
  let t: TestDatabase
  let stack: AccountingStack
  let web: TestApp
  let httpPort: number

  beforeAll(async () => {
    t = await createTestDatabase()
    await t.handle.db
      .insertInto('nasClients')
      .values({ name: 'loopback', address: '127.0.0.0/8', secret: 'testing123', realm: 'default', requireMessageAuthenticator: false, coaHost: null, coaPort: 3799, liftProfile: 'coa' })
      .execute()
    stack = await startAccountingStack(t.handle.db, { touchAfterMs: 0 })
    web = await buildTestApp(t.handle)
    await web.app.listen({ host: '127.0.0.1', port: 0 })
    httpPort = (web.app.server.address() as { port: number }).port
  })
  afterAll(async () => {
    await web?.app.close()
    await stack?.close()
    await t.destroy()
  })

  async function radclientSends(input: string): Promise<void> {
    const run = await runRadclient(radclient!, stack.port, 'acct', 'testing123', input)
    expect(run.output).toContain('Received Accounting-Response')
    expect(run.code).toBe(0)
  }

  it('identifies the line behind 127.0.0.42 after a Start without Message-Authenticator', async () => {
    expect(await identifyFrom(httpPort, '127.0.0.42')).toMatchObject({ identified: false, reason: 'no_session' })
    await radclientSends(record('Start', 'rc-42', '127.0.0.42', '+8613800000042'))
    expect(await identifyFrom(httpPort, '127.0.0.42')).toEqual({
      identified: true,
      line: '138****0042',
      how: 'address',
      address: '127.0.0.42',
      realm: 'default',
    })
    // Another loopback address is another subscriber: not this line.
    expect(await identifyFrom(httpPort, '127.0.0.43')).toMatchObject({ identified: false })
  })

  it('identifies after a Start with Message-Authenticator, keeps it through an Interim-Update, ends it at Stop', async () => {
    await radclientSends(record('Start', 'rc-44', '127.0.0.44', '8613800000044', 'Message-Authenticator = 0x00'))
    expect(await identifyFrom(httpPort, '127.0.0.44')).toMatchObject({ identified: true, line: '138****0044' })
    await radclientSends(record('Interim-Update', 'rc-44', '127.0.0.44', '8613800000044', 'Acct-Session-Time = 60\nMessage-Authenticator = 0x00'))
    expect(await identifyFrom(httpPort, '127.0.0.44')).toMatchObject({ identified: true, line: '138****0044' })
    await radclientSends(record('Stop', 'rc-44', '127.0.0.44', '8613800000044', 'Acct-Session-Time = 120\nAcct-Terminate-Cause = User-Request'))
    expect(await identifyFrom(httpPort, '127.0.0.44')).toMatchObject({ identified: false, reason: 'no_session' })
    const row = await t.handle.db.selectFrom('radiusSessions').select('stopReason').where('acctSessionId', '=', 'rc-44').executeTakeFirstOrThrow()
    expect(row.stopReason).toBe('stop:User-Request')
  })

  it('forgets every line of the NAS on Accounting-On', async () => {
    await radclientSends(record('Start', 'rc-45', '127.0.0.45', '8613800000045'))
    expect(await identifyFrom(httpPort, '127.0.0.45')).toMatchObject({ identified: true })
    await radclientSends('Acct-Status-Type = Accounting-On\nNAS-IP-Address = 127.0.0.1\nMessage-Authenticator = 0x00')
    expect(await identifyFrom(httpPort, '127.0.0.45')).toMatchObject({ identified: false })
    expect(await identifyFrom(httpPort, '127.0.0.42')).toMatchObject({ identified: false })
  })

  it('gets no answer for radclient with the wrong secret, and stores nothing', async () => {
    const run = await runRadclient(radclient!, stack.port, 'acct', 'wrong-secret', record('Start', 'rc-46', '127.0.0.46', '8613800000046'), 1)
    expect(run.output).not.toContain('Received Accounting-Response')
    expect(run.code).not.toBe(0)
    expect(await identifyFrom(httpPort, '127.0.0.46')).toMatchObject({ identified: false })
  })
})
