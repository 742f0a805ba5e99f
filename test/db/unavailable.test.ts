// Telling an outage from a failing statement: only the first becomes a 503 to retry.
import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailable } from '../../src/db/unavailable.ts'

const withCode = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields)

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused TCP connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED', syscall: 'connect' })],
    ['a missing unix socket', withCode('connect ENOENT /tmp/.s.PGSQL.5432', { code: 'ENOENT', syscall: 'connect' })],
    ['a server shutting down (57P01)', withCode('terminating connection due to administrator command', { code: '57P01' })],
    ['a server starting up (57P03)', withCode('the database system is starting up', { code: '57P03' })],
    ['a connection exception (08006)', withCode('connection failure', { code: '08006' })],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
    ['a pool that cannot connect in time', new Error('timeout exceeded when trying to connect')],
    ['a handle already closed (the process is stopping)', new Error('driver has already been destroyed')],
    ['an outage wrapped as the cause', new Error('redeem failed', { cause: withCode('connect ECONNREFUSED', { code: 'ECONNREFUSED', syscall: 'connect' }) })],
  ])('says yes to %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true)
  })

  it.each([
    ['a unique violation (23505)', withCode('duplicate key value violates unique constraint', { code: '23505' })],
    ['a syntax error (42601)', withCode('syntax error at or near "selec"', { code: '42601' })],
    ['a file that is not there', withCode("ENOENT: no such file or directory, open 'x'", { code: 'ENOENT', syscall: 'open' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error at all', 'ECONNREFUSED'],
  ])('says no to %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false)
  })
})
