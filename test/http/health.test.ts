import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

describe('health, readiness and metrics', () => {
  let t: TestDatabase
  let a: TestApp
  beforeAll(async () => {
    t = await createTestDatabase()
    a = await buildTestApp(t.handle)
  })
  afterAll(async () => {
    await a.app.close()
    await t.destroy()
  })

  it('/healthz answers 200 without touching the database', async () => {
    const res = await a.app.inject('/healthz')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok' })
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('/readyz is ready when the database answers and the schema is current', async () => {
    const res = await a.app.inject('/readyz')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, migrations: { ok: true }, shutdown: { ok: true } },
    })
  })

  it('/metrics serves Prometheus text with process metrics and request durations', async () => {
    await a.app.inject('/healthz')
    const res = await a.app.inject('/metrics')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(res.body).toMatch(/^# HELP gateway_process_cpu_user_seconds_total/m)
    expect(res.body).toMatch(/^gateway_process_resident_memory_bytes \d+/m)
    expect(res.body).toMatch(/^gateway_http_request_duration_seconds_count\{route="\/healthz",method="GET",status="200"\} [1-9]/m)
  })

  it('gives every response a server-made request id and the security headers', async () => {
    const res = await a.app.inject({ url: '/healthz', headers: { 'x-request-id': 'client-chosen' } })
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(res.headers['content-security-policy']).not.toContain('script-src')
  })

  it('answers an unknown path with a coded JSON 404, or a small HTML page to a browser', async () => {
    const json = await a.app.inject('/no/such/thing')
    expect(json.statusCode).toBe(404)
    expect(json.json()).toMatchObject({ error: 'HTTP.NOT_FOUND', message: 'Not found' })
    const html = await a.app.inject({ url: '/no/such/thing', headers: { accept: 'text/html,*/*' } })
    expect(html.statusCode).toBe(404)
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(html.body).toContain('<h1>404</h1>')
    expect(html.body).toContain(html.headers['x-request-id'] as string)
    expect(html.body).not.toContain('<script')
  })

  it('/readyz reports not ready while draining', async () => {
    const other = await buildTestApp(t.handle)
    other.readiness.draining()
    const res = await other.app.inject('/readyz')
    expect(res.statusCode).toBe(503)
    expect(res.json().checks.shutdown).toEqual({ ok: false, detail: 'shutting down' })
    await other.app.close()
  })
})

describe('readiness when the database is behind or gone', () => {
  it('is not ready while migrations are pending', async () => {
    const t = await createTestDatabase({ migrate: false })
    const a = await buildTestApp(t.handle)
    const res = await a.app.inject('/readyz')
    expect(res.statusCode).toBe(503)
    expect(res.json().checks.migrations.detail).toMatch(/migration\(s\) pending: run npm run migrate/)
    await a.app.close()
    await t.destroy()
  })

  it('is not ready, and does not crash, when the database is closed', async () => {
    const t = await createTestDatabase()
    const a = await buildTestApp(t.handle)
    await t.handle.close()
    const res = await a.app.inject('/readyz')
    expect(res.statusCode).toBe(503)
    expect(res.json().checks.database.ok).toBe(false)
    expect((await a.app.inject('/healthz')).statusCode).toBe(200)
    await a.app.close()
    await t.destroy().catch(() => {})
  })
})
