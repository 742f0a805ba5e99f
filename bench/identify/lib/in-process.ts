// Identification without HTTP, in this process: the gateway's own createIdentifier() over the
// gateway's own database handle (loadConfig + openDatabase, so the same pool size and type
// parsers), `select 1` on that same pool (the handle's ping), and the identical identification
// SQL sent straight through node-postgres (captured from kysely, so it is the very statement the
// gateway runs). Each series is timed the same way, in interleaved rounds.
import { CamelCasePlugin, type CompiledQuery, Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { loadConfig } from '../../../src/config/load-config.ts'
import { deriveKeys } from '../../../src/config/keys.ts'
import { loadMasterSecret } from '../../../src/db/app-secrets.ts'
import { openDatabase } from '../../../src/db/connect.ts'
import type { Database } from '../../../src/db/schema.ts'
import { findActiveIpv4Session } from '../../../src/db/session-lines.ts'
import { createIdentifier } from '../../../src/identification/identify.ts'
import { REALM, type Subscriber } from './sessions.ts'

/** The series measured in process. */
export const SERIES = ['identify()', 'select 1 (gateway pool)', 'identify SQL (node-postgres)', 'select 1 (node-postgres)'] as const
/** One of SERIES. */
export type Series = (typeof SERIES)[number]

/** Per series: latencies (ms) and wall time, plus mismatches found. */
export interface InProcessResult {
  samples: Record<Series, number[]>
  wallMs: Record<Series, number>
  mismatches: number
  examples: string[]
  sql: string
}

/** Measure every series over `sample`, `rounds` times interleaved, `concurrency` in flight. */
export async function measureInProcess(options: {
  url: string
  gatewayPort: number
  sample: readonly Subscriber[]
  rounds: number
  concurrency: number
  /** For all series and rounds together; a series stops taking new calls when its share is up. */
  timeLimitMs: number
}): Promise<InProcessResult> {
  const config = loadConfig({ DATABASE_URL: options.url })
  if (config.database.kind !== 'postgres') throw new Error('expected a PostgreSQL configuration')
  const database = await openDatabase(config.database)
  const raw = new pg.Pool({ connectionString: options.url, max: config.database.poolSize })
  let captured: CompiledQuery | undefined
  const capturing = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: raw }),
    plugins: [new CamelCasePlugin()],
    log: (event) => void (captured = event.query),
  })
  try {
    const keys = deriveKeys(await loadMasterSecret(database.db, config.appSecret))
    const sessionMaxAgeMs = config.sessions.interimIntervalS * config.sessions.expiryFactor * 1000
    const identifier = createIdentifier({ db: database.db, config: config.identification, redirectTokenKey: keys.redirectToken, sessionMaxAgeMs })

    // The statement and parameters of one lookup, with the address and cut-off to substitute.
    const probe = options.sample[0]!
    const probeSince = new Date(Date.now() - sessionMaxAgeMs)
    await findActiveIpv4Session(capturing, REALM, probe.address, probeSince)
    if (captured === undefined) throw new Error('no identification query captured')
    const statement = captured.sql
    const template = captured.parameters
    const addressAt = template.indexOf(probe.address)
    const sinceAt = template.indexOf(probeSince)
    if (addressAt < 0 || sinceAt < 0) throw new Error(`cannot find address and cut-off among ${JSON.stringify(template)}`)

    const result: InProcessResult = {
      samples: Object.fromEntries(SERIES.map((s) => [s, [] as number[]])) as unknown as Record<Series, number[]>,
      wallMs: Object.fromEntries(SERIES.map((s) => [s, 0])) as unknown as Record<Series, number>,
      mismatches: 0,
      examples: [],
      sql: statement,
    }
    const wrong = (what: string) => {
      result.mismatches++
      if (result.examples.length < 5) result.examples.push(what)
    }

    const call: Record<Series, (s: Subscriber) => Promise<void>> = {
      'identify()': async (s) => {
        const answer = await identifier.identify({ socketAddress: s.address, localAddress: '127.0.0.1', localPort: options.gatewayPort, headers: {} })
        if (!answer.identified || answer.msisdn !== s.msisdn || answer.how !== 'address') wrong(`identify(${s.address}): ${JSON.stringify(answer)}`)
      },
      'select 1 (gateway pool)': () => database.ping(),
      'identify SQL (node-postgres)': async (s) => {
        const values = [...template]
        values[addressAt] = s.address
        values[sinceAt] = new Date(Date.now() - sessionMaxAgeMs)
        const rows = (await raw.query<{ msisdn: string }>(statement, values)).rows
        if (rows[0]?.msisdn !== s.msisdn) wrong(`SQL(${s.address}): ${JSON.stringify(rows[0] ?? null)}`)
      },
      'select 1 (node-postgres)': async () => {
        await raw.query('select 1')
      },
    }

    // Warm-up, untimed: opens both pools' connections and warms the code paths.
    for (const series of SERIES) {
      await Promise.all(options.sample.slice(0, options.concurrency * 10).map((s) => call[series](s)))
    }

    const perRound = Math.ceil(options.sample.length / options.rounds)
    const shareMs = options.timeLimitMs / (options.rounds * SERIES.length)
    for (let round = 0; round < options.rounds; round++) {
      const slice = options.sample.slice(round * perRound, (round + 1) * perRound)
      for (const series of SERIES) {
        const times = result.samples[series]
        let next = 0
        const t0 = performance.now()
        await Promise.all(
          Array.from({ length: options.concurrency }, async () => {
            while (next < slice.length && performance.now() - t0 < shareMs) {
              const s = slice[next++]!
              const start = performance.now()
              await call[series](s)
              times.push(performance.now() - start)
            }
          }),
        )
        result.wallMs[series] += performance.now() - t0
      }
    }
    return result
  } finally {
    await capturing.destroy() // ends `raw` too
    await database.close()
  }
}
