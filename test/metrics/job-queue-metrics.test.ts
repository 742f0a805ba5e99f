// Job queue depth, backlog and oldest age per kind, read from the jobs table on scrape; a scrape
// still answers (queue_up 0, no stale series) when the database is locked or gone.
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completeJob, enqueueJob, leaseJobs } from '../../src/db/jobs.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'
import { sample, series } from './scrape.ts'

describe('job queue metrics', { timeout: 30_000 }, () => {
  let t: TestDatabase
  let web: TestApp
  beforeAll(async () => {
    t = await createTestDatabase()
    web = await buildTestApp(t.handle)
  })
  afterAll(async () => {
    await web?.app.close()
    await t?.destroy()
  })
  const scrape = async (app = web) => {
    const res = await app.app.inject({ url: '/metrics' })
    expect(res.statusCode).toBe(200)
    return res.body
  }

  it('shows every kind at 0 on an empty queue', async () => {
    const text = await scrape()
    expect(sample(text, 'gateway_jobs_queue_up')).toBe(1)
    for (const kind of ['lift', 'credit', 'psp-reconcile']) {
      expect(series(text, 'gateway_jobs_queue_depth').find((s) => s.labels.kind === kind)?.value).toBe(0)
      expect(series(text, 'gateway_jobs_oldest_age_seconds').find((s) => s.labels.kind === kind)?.value).toBe(0)
    }
  })

  it('counts waiting, due and running jobs by kind with the oldest one\'s age, and forgets done ones', async () => {
    const db = t.handle.db
    await db.insertInto('jobs').values({ kind: 'lift', payload: '{}', runAt: new Date(Date.now() - 90_000), createdAt: new Date(Date.now() - 90_000) }).execute()
    await enqueueJob(db, { kind: 'lift', payload: {} })
    await enqueueJob(db, { kind: 'lift', payload: {}, runAt: new Date(Date.now() + 600_000) }) // a retry later: waiting, not due
    await enqueueJob(db, { kind: 'psp-reconcile', payload: {} })
    const [running] = await leaseJobs(db, 'worker-test', ['psp-reconcile'], 1, 60_000)
    let text = await scrape()
    expect(sample(text, 'gateway_jobs_queue_depth', { kind: 'lift' })).toBe(3)
    expect(sample(text, 'gateway_jobs_queue_due', { kind: 'lift' })).toBe(2)
    expect(sample(text, 'gateway_jobs_queue_depth', { kind: 'psp-reconcile' })).toBe(1)
    expect(sample(text, 'gateway_jobs_queue_due', { kind: 'psp-reconcile' })).toBe(0) // leased: running
    expect(sample(text, 'gateway_jobs_oldest_age_seconds', { kind: 'lift' })).toBeGreaterThanOrEqual(89)
    expect(sample(text, 'gateway_jobs_oldest_age_seconds', { kind: 'lift' })).toBeLessThan(200)
    expect(sample(text, 'gateway_jobs_queue_depth', { kind: 'credit' })).toBe(0)

    await completeJob(db, running!.id, 'worker-test')
    text = await scrape()
    expect(sample(text, 'gateway_jobs_queue_depth', { kind: 'psp-reconcile' })).toBe(0)
    expect(sample(text, 'gateway_jobs_oldest_age_seconds', { kind: 'psp-reconcile' })).toBe(0)
  })

  it('answers the scrape without queue series when the database is gone', async () => {
    const own = await createTestDatabase()
    const gone = await buildTestApp(own.handle)
    try {
      await enqueueJob(own.handle.db, { kind: 'lift', payload: {} })
      expect(sample(await scrape(gone), 'gateway_jobs_queue_depth', { kind: 'lift' })).toBe(1)
      await own.handle.close()
      const text = await scrape(gone)
      expect(sample(text, 'gateway_jobs_queue_up')).toBe(0)
      expect(series(text, 'gateway_jobs_queue_depth')).toEqual([])
      expect(series(text, 'gateway_jobs_oldest_age_seconds')).toEqual([])
      expect(text).toContain('gateway_http_request_duration_seconds')
    } finally {
      await gone.app.close()
      await own.destroy()
    }
  })

  it('answers within about a second when the jobs table is locked, and does not pile queries up on it', async (context) => {
    if (t.url === null) return context.skip('a second connection to the embedded database is not possible')
    const locker = new pg.Client({ connectionString: t.url })
    await locker.connect()
    try {
      await locker.query('begin')
      await locker.query('lock table jobs in access exclusive mode')
      const started = Date.now()
      const text = await scrape()
      expect(Date.now() - started).toBeLessThan(3000)
      expect(sample(text, 'gateway_jobs_queue_up')).toBe(0)
      expect(sample(await scrape(), 'gateway_jobs_queue_up')).toBe(0)
      const waiting = await locker.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%from jobs where done_at is null%'`,
      )
      expect(waiting.rows[0]!.n).toBe(1)
      await locker.query('rollback')
      await new Promise((r) => setTimeout(r, 200))
      expect(sample(await scrape(), 'gateway_jobs_queue_up')).toBe(1)
    } finally {
      await locker.end()
    }
  })
})
