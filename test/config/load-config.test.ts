import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config/config-error.ts'
import { loadConfig } from '../../src/config/load-config.ts'

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
  throw new Error('loadConfig accepted the environment')
}

describe('loadConfig', () => {
  it('uses the documented defaults on an empty environment (embedded database under ./data)', () => {
    const config = loadConfig({})
    expect(config.port).toBe(8080)
    expect(config.host).toBe('0.0.0.0')
    expect(config.radiusAcctPort).toBe(1813)
    expect(config.logLevel).toBe('info')
    expect(config.database.kind).toBe('embedded')
    expect(config.database.kind === 'embedded' && config.database.dataDir).toMatch(/\/data$/)
    expect(config.migrateOnStart).toBe(true)
    expect(config.seedDemo).toBe(true)
  })

  it('returns a frozen object', () => {
    const config = loadConfig({})
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.database)).toBe(true)
  })

  it('reads a PostgreSQL URL and then neither migrates on start nor seeds demo data by default', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://app:pw@db.example:5432/gateway', PORT: '9000' })
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgresql://app:pw@db.example:5432/gateway', poolSize: 10 })
    expect(config.port).toBe(9000)
    expect(config.migrateOnStart).toBe(false)
    expect(config.seedDemo).toBe(false)
  })

  it('accepts a unix-socket URL with ?host=', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://postgres@/gateway?host=/tmp/pg&port=5433' })
    expect(config.database.kind).toBe('postgres')
  })

  it('reports every bad value at once', () => {
    const problems = problemsOf({ PORT: 'abc', RADIUS_ACCT_PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x/y' })
    expect(problems).toHaveLength(4)
    expect(problems[0]).toMatch(/^PORT: expected a whole number/)
    expect(problems.join('\n')).toMatch(/RADIUS_ACCT_PORT: 70000 is out of range/)
    expect(problems.join('\n')).toMatch(/LOG_LEVEL: expected one of/)
    expect(problems.join('\n')).toMatch(/DATABASE_URL: scheme must be postgresql/)
  })

  it('rejects a DATABASE_URL that is not a URL, or names no database, without echoing it', () => {
    expect(problemsOf({ DATABASE_URL: 'not a url with secret-pw' })).toEqual([
      'DATABASE_URL: not a URL (expected postgresql://user:password@host:5432/database)',
    ])
    expect(problemsOf({ DATABASE_URL: 'postgresql://u:pw@host:5432' }).join()).toMatch(/names no database/)
  })

  it('rejects demo data on a server database, a short APP_SECRET and a bad boolean', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgresql://h/db', SEED_DEMO: 'true', APP_SECRET: 'short', MIGRATE_ON_START: 'maybe' })
    expect(problems.join('\n')).toMatch(/SEED_DEMO: demo data is only seeded on the embedded database/)
    expect(problems.join('\n')).toMatch(/APP_SECRET: must be at least 32 characters/)
    expect(problems.join('\n')).toMatch(/MIGRATE_ON_START: expected true or false/)
  })

  it('reads DATA_DIR=memory as an in-memory embedded database', () => {
    expect(loadConfig({ DATA_DIR: 'memory' }).database).toEqual({ kind: 'embedded', dataDir: null })
  })

  it('the error message lists each problem on its own line', () => {
    expect(() => loadConfig({ PORT: '-1', HOST: 'bad host!' })).toThrow(
      /invalid configuration:\n {2}- PORT: .*\n {2}- HOST: expected an IP address or host name/,
    )
  })

  it('reads the load-shedding thresholds and the shutdown drain, 0 turning a check off', () => {
    expect(loadConfig({}).shedding).toEqual({ maxEventLoopDelayMs: 100, maxEventLoopUtilizationPercent: 0, maxInFlight: 64, sampleMs: 250, retryAfterS: 5 })
    expect(loadConfig({}).shutdownDrainMs).toBe(0)
    const c = loadConfig({ LOAD_SHED_MAX_EVENT_LOOP_DELAY_MS: '0', LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION: '95', LOAD_SHED_MAX_IN_FLIGHT: '200', LOAD_SHED_SAMPLE_MS: '100', LOAD_SHED_RETRY_AFTER_S: '2', SHUTDOWN_DRAIN_MS: '3000' })
    expect(c.shedding).toEqual({ maxEventLoopDelayMs: 0, maxEventLoopUtilizationPercent: 95, maxInFlight: 200, sampleMs: 100, retryAfterS: 2 })
    expect(c.shutdownDrainMs).toBe(3000)
    expect(problemsOf({ LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION: '101', SHUTDOWN_DRAIN_MS: '9000' })).toEqual([
      'SHUTDOWN_DRAIN_MS: must be shorter than SHUTDOWN_TIMEOUT_MS (the drain is part of it)',
      'LOAD_SHED_MAX_EVENT_LOOP_UTILIZATION: 101 is out of range (0 to 100)',
    ])
  })
})
