// Closing the app while a client has just connected but not yet sent its request (a slow link, or
// a request still in flight on the network): the request is answered 503 + Connection: close
// and the security headers, not met with a reset. The connections a closing listener resets
// are those the kernel had not yet handed over (see test/process/graceful-shutdown.test.ts).
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SECURITY_HEADERS } from '../../src/http/plugins/security-headers.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

describe('closing with a connection whose request is still on its way', () => {
  let t: TestDatabase
  let a: TestApp

  beforeAll(async () => {
    t = await createTestDatabase()
    a = await buildTestApp(t.handle)
    await a.app.listen({ host: '127.0.0.1', port: 0 })
  })
  afterAll(async () => {
    await a?.app.close().catch(() => {})
    await t?.destroy()
  })

  it('answers the late request with 503 and Connection: close, then closes', async () => {
    const port = (a.app.server.address() as { port: number }).port
    const accepted = new Promise<void>((resolve) => a.app.server.once('connection', () => resolve()))
    const socket: Socket = connect(port, '127.0.0.1')
    let received = ''
    let failure = ''
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
    socket.on('error', (err: NodeJS.ErrnoException) => (failure = err.code ?? err.message))
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    await accepted

    const closing = a.app.close()
    await new Promise((resolve) => setTimeout(resolve, 50))
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n')
    await ended
    await closing

    expect(failure).toBe('')
    expect(received).toMatch(/^HTTP\/1\.1 503 /)
    expect(received.toLowerCase()).toContain('connection: close')
    expect(received.toLowerCase()).toContain('retry-after: 5')
    // The security headers too, as on every other answer.
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(received.toLowerCase()).toContain(`${name}: ${value.toLowerCase()}`)
    expect(received).toContain('"error":"HTTP.SHUTTING_DOWN"')
  })
})
