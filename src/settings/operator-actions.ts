// Every change an operator makes to settings and NAS clients — console, /api/v1 or CLI — goes
// through here: validated in full, written in one transaction together with its audit entry
// (who, before/after, reason), never with a shared secret in the audit (only "[changed]").
import type { Kysely, Transaction } from 'kysely'
import { describeOutcome, sendTestCoaOnce, type TestCoaTarget } from '../adapters/network/test-coa.ts'
import { type AuditEntry, recordAudit } from '../audit/audit-log.ts'
import type { RetransmitSchedule } from '../radius/dynamic-authorization-client.ts'
import { conflictingNasClient, deleteNasClient, findNasClient, insertNasClient, updateNasClient } from '../db/nas-clients.ts'
import type { Database } from '../db/schema.ts'
import { writeSettings } from '../db/settings.ts'
import { withTransaction } from '../db/transaction.ts'
import { AppError, appError, ERRORS } from '../errors.ts'
import { applyConfigFile, type ImportSummary, parseConfigFile } from './config-file.ts'
import { type NasClientView, nasClientView, readConfigSnapshot } from './config-snapshot.ts'
import { validateNasClient } from './nas-client-input.ts'
import { type Problem, type SettingsContext, type StoredSettings, storedSettings, validateSettings } from './settings-schema.ts'

/** Who makes a change, from where, and why. */
export type ChangeMeta = Pick<AuditEntry, 'actor' | 'sourceAddress' | 'requestId'> & { reason?: string | null }

/** CONFIG.INVALID with every problem (its message lists them all: "path: message; …"). */
export class ConfigInvalidError extends AppError {
  readonly problems: Problem[]
  constructor(problems: Problem[]) {
    const { code, status, message } = ERRORS.CONFIG_INVALID
    super(code, status, `${message}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`)
    this.problems = problems
  }
}

function invalid(problems: Problem[]): ConfigInvalidError {
  return new ConfigInvalidError(problems)
}

const audit = (trx: Kysely<Database> | Transaction<Database>, meta: ChangeMeta, entry: Omit<AuditEntry, 'actor' | 'sourceAddress' | 'requestId' | 'reason'>) =>
  recordAudit(trx, { actor: meta.actor, sourceAddress: meta.sourceAddress ?? null, requestId: meta.requestId ?? null, reason: meta.reason ?? null, ...entry })

/**
 * Change some settings: each key given is set, a key given as null goes back to its environment
 * default, others are left alone. Throws CONFIG.INVALID listing every problem.
 */
export async function updateSettings(db: Kysely<Database>, changes: Record<string, unknown>, context: SettingsContext, meta: ChangeMeta): Promise<StoredSettings> {
  return withTransaction(db, async (trx) => {
    const stored = await trx.selectFrom('settings').select(['key', 'value']).forUpdate().execute()
    const before = storedSettings(Object.fromEntries(stored.map((r) => [r.key, r.value])), context).settings
    // Validate the result as a whole, so cross-checks (headers need proxies) see the final state.
    const merged: Record<string, unknown> = { ...before }
    for (const [key, value] of Object.entries(changes)) merged[key] = value
    const { settings: after, problems } = validateSettings(merged, context)
    if (problems.length > 0) throw invalid(problems)
    const value = (s: StoredSettings, key: string) => (s as Record<string, unknown>)[key] ?? null
    // Only what really changes is written and audited (a form posts every field).
    const changed = Object.keys(changes).filter((key) => JSON.stringify(value(after, key)) !== JSON.stringify(value(before, key)))
    if (changed.length === 0) return after
    await writeSettings(trx, Object.fromEntries(changed.map((key) => [key, value(after, key)])))
    const pick = (s: StoredSettings) => Object.fromEntries(changed.map((key) => [key, value(s, key)]))
    await audit(trx, meta, { action: 'settings.update', target: 'settings', before: pick(before), after: pick(after) })
    return after
  })
}

/** Add a NAS client (its secret is required). */
export async function createNas(db: Kysely<Database>, input: unknown, meta: ChangeMeta): Promise<NasClientView> {
  const { nas, problems } = validateNasClient(input, 'nas', { secretRequired: true })
  if (nas === undefined) throw invalid(problems)
  return withTransaction(db, async (trx) => {
    if ((await conflictingNasClient(trx, nas, null)) !== undefined) throw appError(ERRORS.NAS_CONFLICT)
    const row = nasClientView(await insertNasClient(trx, { ...nas, secret: nas.secret! }))
    await audit(trx, meta, { action: 'nas.create', target: `nas:${row.id}`, before: null, after: { ...row, secret: '[set]' } })
    return row
  })
}

/** Change a NAS client; a secret left out (or empty) is kept. Undefined when there is no such NAS. */
export async function updateNas(db: Kysely<Database>, id: number, input: unknown, meta: ChangeMeta): Promise<NasClientView | undefined> {
  const { nas, problems } = validateNasClient(input, 'nas', { secretRequired: false })
  if (nas === undefined) throw invalid(problems)
  return withTransaction(db, async (trx) => {
    const current = await findNasClient(trx, id)
    if (current === undefined) return undefined
    if ((await conflictingNasClient(trx, nas, id)) !== undefined) throw appError(ERRORS.NAS_CONFLICT)
    const secretChanged = nas.secret !== undefined && nas.secret !== current.secret
    const row = nasClientView((await updateNasClient(trx, id, { ...nas, secret: secretChanged ? nas.secret : undefined }))!)
    await audit(trx, meta, { action: 'nas.update', target: `nas:${id}`, before: nasClientView(current), after: { ...row, ...(secretChanged ? { secret: '[changed]' } : {}) } })
    return row
  })
}

/** Remove a NAS client (and its sessions). Undefined when there is no such NAS. */
export async function removeNas(db: Kysely<Database>, id: number, meta: ChangeMeta): Promise<NasClientView | undefined> {
  return withTransaction(db, async (trx) => {
    const row = await deleteNasClient(trx, id)
    if (row === undefined) return undefined
    await audit(trx, meta, { action: 'nas.delete', target: `nas:${id}`, before: nasClientView(row), after: null })
    return nasClientView(row)
  })
}

/** What an import did, or would do (`dryRun`). */
export interface ImportResult {
  summary: ImportSummary
  dryRun: boolean
}

class DryRun extends Error {}

/**
 * Import a whole YAML configuration: validated in full (every problem, nothing applied), then
 * applied atomically with its audit entry. `dryRun` validates and reports what would change.
 */
export async function importConfig(db: Kysely<Database>, text: string, context: SettingsContext, meta: ChangeMeta, options: { dryRun?: boolean } = {}): Promise<ImportResult> {
  const parsed = parseConfigFile(text, context)
  if (parsed.file === undefined) throw invalid(parsed.problems)
  let summary: ImportSummary | undefined
  try {
    await db.transaction().execute(async (trx) => {
      const before = await readConfigSnapshot(trx, context)
      const applied = await applyConfigFile(trx, parsed.file!)
      if (applied.summary === undefined) throw invalid(applied.problems)
      summary = applied.summary
      const after = await readConfigSnapshot(trx, context)
      const strip = (s: typeof before) => ({ settings: s.settings, nasClients: s.nasClients.map(({ updatedAt, secretChangedAt, ...n }) => n) })
      await audit(trx, meta, { action: 'settings.import', target: 'settings', before: strip(before), after: { ...strip(after), secretsChanged: summary.secretsChanged } })
      if (options.dryRun) throw new DryRun()
    })
  } catch (err) {
    if (!(err instanceof DryRun)) throw uniqueViolation(err) ? invalid([{ path: 'nasClients', message: 'two NAS clients would share a name or address while the file is applied (swap addresses in two imports)' }]) : err
  }
  return { summary: summary!, dryRun: options.dryRun === true }
}

function uniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505'
}

/** What a test CoA showed, for the console page and the API answer. */
export interface TestCoaReport {
  outcome: string
  errorCause: number | null
  kind: 'coa' | 'disconnect'
  to: string
  sends: number
  requestHex: string
  responseHex: string | null
  ignored: string[]
}

/** Send a test CoA to NAS `id` and audit it; undefined when there is no such NAS. */
export async function testCoa(db: Kysely<Database>, id: number, target: TestCoaTarget, meta: ChangeMeta, schedule?: RetransmitSchedule): Promise<TestCoaReport | undefined> {
  const row = await findNasClient(db, id)
  if (row === undefined) return undefined
  const exchange = await sendTestCoaOnce(row, target, schedule)
  const report: TestCoaReport = {
    outcome: describeOutcome(exchange),
    errorCause: exchange.outcome.kind === 'nak' ? exchange.outcome.errorCause : null,
    kind: exchange.kind,
    to: exchange.nas,
    sends: exchange.sentAt.length,
    requestHex: exchange.requestHex,
    responseHex: exchange.response?.hex ?? null,
    ignored: exchange.ignored,
  }
  await audit(db, meta, { action: 'nas.test-coa', target: `nas:${id}`, after: { kind: report.kind, to: report.to, acctSessionId: target.acctSessionId, outcome: report.outcome, sends: report.sends } })
  return report
}
