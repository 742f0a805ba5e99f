// Watching a phase from the database, beside the gateway: which attempts are lifted (polled every
// POLL_MS, so the client-side "submit → lifted" is what a status page polling that often would
// see), how the job queue looks over time (evidence for where the time goes), and afterwards the
// server-side timings and the exactly-once checks.
import pg from 'pg'
import { OPENING_BALANCE_MINOR, VOUCHER_VALUE_MINOR } from './seed.ts'

const POLL_MS = 25

/** A sample of the job queue. */
export interface QueueSample {
  atMs: number
  liftDue: number
  liftRunning: number
  lifted: number
  /** Gateway backends not idle (running a statement or inside a transaction). */
  busyBackends: number
  /** Of those, waiting for a row or transaction lock … */
  lockWaits: number
  /** … on the voucher SELECT … FOR UPDATE (which joins voucher_batches). */
  voucherLockWaits: number
}

/** The watcher of one phase. */
export interface Watcher {
  /** Start watching an attempt submitted at `postAtMs` (wall clock). */
  watch(attemptId: string, postAtMs: number): void
  /** Client-observed submit → lifted latencies (ms) so far. */
  observed(): number[]
  /** Resolves when every watched attempt was seen lifted, or after `timeoutMs`. */
  settle(timeoutMs: number): Promise<boolean>
  samples(): QueueSample[]
  /** Queries (each its own transaction) the watcher sent so far. */
  queries(): number
  stop(): Promise<void>
}

/** Start watching the database at `url`. */
export async function startWatcher(url: string): Promise<Watcher> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const submittedAt = new Map<string, number>()
  const liftedSeenAt = new Map<string, number>()
  const latencies: number[] = []
  const samples: QueueSample[] = []
  let stopped = false
  let lastSample = 0
  let queries = 0

  async function pollOnce(): Promise<void> {
    // Only the attempts submitted and not yet seen lifted, by primary key: the watcher's own cost
    // on the database stays proportional to what is in flight (it runs beside the gateway and its
    // CPU counts as PostgreSQL's in the report).
    const pending = [...submittedAt.keys()].filter((id) => !liftedSeenAt.has(id))
    let rows: { id: string }[] = []
    if (pending.length > 0) {
      queries++
      rows = (await client.query<{ id: string }>(`select id from recharge_attempts where id = any($1::text[]) and lifted_at is not null`, [pending])).rows
    }
    const now = Date.now()
    for (const row of rows) {
      liftedSeenAt.set(row.id, now)
      latencies.push(now - submittedAt.get(row.id)!)
    }
    if (now - lastSample >= 500) {
      lastSample = now
      queries++
      const q = await client.query<{ kind: string; due: number; running: number }>(
        `select kind,
           count(*) filter (where done_at is null and run_at <= now() and (locked_until is null or locked_until < now()))::int as due,
           count(*) filter (where done_at is null and locked_until >= now())::int as running
         from jobs group by kind`,
      )
      const by = (kind: string) => q.rows.find((r) => r.kind === kind)
      const a = (
        await client.query<{ busy: number; locks: number; voucher: number }>(
          `select count(*)::int as busy,
             count(*) filter (where wait_event_type = 'Lock')::int as locks,
             count(*) filter (where wait_event_type = 'Lock' and query like '%from "vouchers"%')::int as voucher
           from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`,
        )
      ).rows[0]!
      queries++
      samples.push({
        atMs: now,
        liftDue: by('lift')?.due ?? 0,
        liftRunning: by('lift')?.running ?? 0,
        lifted: liftedSeenAt.size,
        busyBackends: a.busy,
        lockWaits: a.locks,
        voucherLockWaits: a.voucher,
      })
    }
  }

  const loop = (async () => {
    while (!stopped) {
      await pollOnce().catch(() => {})
      await new Promise((ok) => setTimeout(ok, POLL_MS))
    }
  })()

  return {
    watch(attemptId, postAtMs) {
      submittedAt.set(attemptId, postAtMs)
    },
    observed: () => latencies,
    async settle(timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (liftedSeenAt.size < submittedAt.size && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50))
      return liftedSeenAt.size >= submittedAt.size
    },
    samples: () => samples,
    queries: () => queries,
    async stop() {
      if (stopped) return
      stopped = true
      await loop
      await client.end()
    },
  }
}

/** Server-side figures of a phase, from recharge_attempts and attempt_events. */
export interface ServerFigures {
  attempts: number
  lifted: number
  /** lifted ÷ (last lifted_at − first created_at). */
  rechargesPerS: number
  /** credited ÷ (last credited_at − first created_at): how fast payments were taken. */
  creditsPerS: number
  /** Per attempt, ms. */
  submitToLifted: number[]
  submitToCredited: number[]
  /** credited → the lift job started (event 'lifting'): time in the job queue. */
  queueWait: number[]
  /** The CoA exchange as recorded (request sent → answer received). */
  coaMs: number[]
  /** 'lifting' event → lifted_at: the lift job's own work. */
  liftWork: number[]
  windowS: number
}

/** Read the server-side figures of the attempts created since `from`. */
export async function serverFigures(url: string, from: Date): Promise<ServerFigures> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const rows = (
      await client.query<{ created: number; credited: number | null; lifting: number | null; lifted: number | null; coa_sent: string | null; coa_answered: string | null }>(`
        select extract(epoch from a.created_at) * 1000 as created,
               extract(epoch from a.credited_at) * 1000 as credited,
               extract(epoch from (select min(e.at) from attempt_events e where e.attempt_id = a.id and e.kind = 'lifting')) * 1000 as lifting,
               extract(epoch from a.lifted_at) * 1000 as lifted,
               (select e.detail->'sentAt'->>0 from attempt_events e where e.attempt_id = a.id and e.kind = 'radius' order by e.id limit 1) as coa_sent,
               (select e.detail->'response'->>'receivedAt' from attempt_events e where e.attempt_id = a.id and e.kind = 'radius' order by e.id limit 1) as coa_answered
        from recharge_attempts a where a.created_at >= $1`, [from])
    ).rows.map((r) => ({ ...r, created: Number(r.created), credited: r.credited === null ? null : Number(r.credited), lifting: r.lifting === null ? null : Number(r.lifting), lifted: r.lifted === null ? null : Number(r.lifted) }))
    const lifted = rows.filter((r) => r.lifted !== null)
    const firstCreated = Math.min(...rows.map((r) => r.created))
    const lastLifted = Math.max(...lifted.map((r) => r.lifted!))
    const credited = rows.filter((r) => r.credited !== null)
    const lastCredited = Math.max(...credited.map((r) => r.credited!))
    return {
      attempts: rows.length,
      lifted: lifted.length,
      rechargesPerS: lifted.length / ((lastLifted - firstCreated) / 1000),
      creditsPerS: credited.length / ((lastCredited - firstCreated) / 1000),
      submitToLifted: lifted.map((r) => r.lifted! - r.created),
      submitToCredited: credited.map((r) => r.credited! - r.created),
      queueWait: rows.filter((r) => r.lifting !== null && r.credited !== null).map((r) => r.lifting! - r.credited!),
      coaMs: rows.filter((r) => r.coa_sent && r.coa_answered).map((r) => Date.parse(r.coa_answered!) - Date.parse(r.coa_sent!)),
      liftWork: lifted.filter((r) => r.lifting !== null).map((r) => r.lifted! - r.lifting!),
      windowS: (lastLifted - firstCreated) / 1000,
    }
  } finally {
    await client.end()
  }
}

/** The exactly-once and RADIUS checks of a phase; `problems` is empty when all hold. */
export interface Verification {
  problems: string[]
  lines: string[]
  radiusAcks: number
  radiusEvents: number
  liftRuns: number
}

/** Check the database after a phase in which `submitted` attempts were accepted. */
export async function verify(url: string, submitted: number, freeRadiusSaw: number): Promise<Verification> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const one = async (text: string): Promise<number> => Number(Object.values((await client.query(text)).rows[0] as Record<string, unknown>)[0])
  try {
    const problems: string[] = []
    const attempts = await one(`select count(*) from recharge_attempts`)
    const notLifted = await one(`select count(*) from recharge_attempts where lifted_at is null or state not in ('lifted', 'confirmed')`)
    const credits = await one(`select count(*) from ledger_entries where kind = 'credit'`)
    const notOnce = await one(`select count(*) from recharge_attempts a where (select count(*) from ledger_entries l where l.idempotency_key = 'attempt:' || a.id) <> 1`)
    const usedVouchers = await one(`select count(*) from vouchers where status = 'used'`)
    const wrongLines = await one(
      `select count(*) from lines l join recharge_attempts a on a.msisdn = l.msisdn
       where l.balance_minor <> ${OPENING_BALANCE_MINOR + VOUCHER_VALUE_MINOR} or l.status <> 'active'`,
    )
    const radiusAcks = await one(
      `select count(distinct attempt_id) from attempt_events where kind = 'radius' and detail->>'kind' = 'coa' and detail->'outcome'->>'kind' = 'ack'`,
    )
    const radiusEvents = await one(`select count(*) from attempt_events where kind = 'radius'`)
    const retransmits = await one(`select coalesce(sum(jsonb_array_length(detail->'sentAt') - 1), 0) from attempt_events where kind = 'radius'`)
    const liftRuns = await one(`select coalesce(sum(tries), 0) from jobs where kind = 'lift'`)
    const failedLiftRuns = await one(`select count(*) from jobs where kind = 'lift' and last_error is not null`)
    if (attempts !== submitted) problems.push(`${attempts} attempts in the database, ${submitted} accepted over HTTP`)
    if (notLifted > 0) {
      const examples = await client.query<{ state: string; kinds: string }>(
        `select a.state, (select string_agg(e.kind || ' ' || e.detail::text, ' → ' order by e.id) from attempt_events e where e.attempt_id = a.id) as kinds
         from recharge_attempts a where a.lifted_at is null or a.state not in ('lifted', 'confirmed') limit 3`,
      )
      problems.push(`${notLifted} attempts not lifted (e.g. ${examples.rows.map((r) => `${r.state}: ${r.kinds.slice(0, 300)}`).join('; ')})`)
    }
    if (credits !== attempts || notOnce > 0) problems.push(`${credits} ledger credits for ${attempts} attempts, ${notOnce} attempts without exactly one`)
    if (usedVouchers !== attempts) problems.push(`${usedVouchers} vouchers used for ${attempts} attempts`)
    if (wrongLines > 0) problems.push(`${wrongLines} recharged lines not active at the expected balance`)
    if (radiusAcks !== attempts) problems.push(`${radiusAcks} attempts with a CoA-ACK on their timeline, of ${attempts}`)
    if (freeRadiusSaw < attempts) problems.push(`FreeRADIUS logged ${freeRadiusSaw} CoA-Requests for ${attempts} attempts`)
    return {
      problems,
      radiusAcks,
      radiusEvents,
      liftRuns,
      lines: [
        `attempts ${attempts}, lifted ${attempts - notLifted}; ledger credits ${credits} (attempts without exactly one: ${notOnce}); vouchers used ${usedVouchers}; lines wrong after: ${wrongLines}`,
        `timeline: ${radiusAcks} attempts with a CoA-ACK, ${radiusEvents} RADIUS exchanges, ${retransmits} retransmissions; FreeRADIUS logged ${freeRadiusSaw} CoA-Requests; lift job runs ${liftRuns} (${failedLiftRuns} with an error)`,
      ],
    }
  } finally {
    await client.end()
  }
}
