// A failed request is logged with what an operator needs (error, request id, method, route) and
// never with the request itself: its headers carry Authorization and Cookie (also as a raw array,
// out of reach of field-based redaction) and its query string carries redirect and form tokens.
import { Writable } from 'node:stream'
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify'
import { describe, expect, it } from 'vitest'
import { registerErrorHandling } from '../../src/http/error-handler.ts'
import { createLogger } from '../../src/logging/logger.ts'
import { createMetrics } from '../../src/metrics/metrics.ts'

describe('the error log of a failed request', () => {
  it('names the error, request id, method and route, and leaks no header, cookie or query token', async () => {
    const lines: string[] = []
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) })
    // As app.ts: no per-request lines (they would carry the URL); only the error handler speaks.
    const app = Fastify({ loggerInstance: createLogger('info', sink) as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) })
    registerErrorHandling(app, createMetrics())
    app.post('/api/v1/things/:id', async () => {
      throw new Error('database went away')
    })
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/things/42?rt=redirect-token-secret-value&ft=form-token-secret-value',
      headers: { authorization: 'Bearer rgw_secret_bearer_value', cookie: 'rg-staff=session-cookie-secret-value', 'content-type': 'application/json' },
      payload: '{}',
    })
    await app.close()
    expect(res.statusCode).toBe(500)
    const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request failed')
    expect(failed).toMatchObject({ level: 50, err: { message: 'database went away' }, request: { method: 'POST', route: '/api/v1/things/:id' } })
    const all = lines.join('\n')
    for (const secret of ['rgw_secret_bearer_value', 'session-cookie-secret-value', 'redirect-token-secret-value', 'form-token-secret-value']) expect(all).not.toContain(secret)
  })
})
