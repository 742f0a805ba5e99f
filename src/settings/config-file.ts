// The whole operator configuration as one YAML file, for version control: `settings` (only what
// the database holds; a setting left out uses its environment default) and `nasClients` (the
// complete list). Shared secrets are never exported; on import a NAS without `secret` keeps the
// one it has, and a new NAS must bring one. An import is validated in full first — every problem
// with its path, nothing applied — then applied in the caller's transaction.
import type { Transaction } from 'kysely'
import { Document, parseDocument } from 'yaml'
import { deleteNasClient, insertNasClient, listNasClients, updateNasClient } from '../db/nas-clients.ts'
import type { Database } from '../db/schema.ts'
import { writeSettings } from '../db/settings.ts'
import type { ConfigSnapshot } from './config-snapshot.ts'
import { displayAddress, type NasClientInput, validateNasClient } from './nas-client-input.ts'
import { type Problem, SETTING_KEYS, type SettingsContext, type StoredSettings, validateSettings } from './settings-schema.ts'

/** A validated configuration file. */
export interface ConfigFile {
  settings: StoredSettings
  nasClients: NasClientInput[]
}

/** What an import changed. */
export interface ImportSummary {
  settingsSet: string[]
  settingsCleared: string[]
  nasAdded: string[]
  nasChanged: string[]
  nasRemoved: string[]
  secretsChanged: string[]
}

const HEADER = [
  ' recharge-gateway configuration (npx recharge-gateway export-config / import-config)',
  ' settings: what the database holds; a setting left out uses its environment default.',
  ' nasClients: the complete list (a NAS left out is removed on import). Shared secrets are never',
  ' exported: on import a NAS without `secret` keeps its secret; a new NAS needs `secret`.',
].join('\n')

/** The snapshot as YAML. */
export function configYaml(snapshot: ConfigSnapshot): string {
  const ordered: Record<string, unknown> = {}
  for (const key of SETTING_KEYS) if (snapshot.settings[key] !== undefined) ordered[key] = snapshot.settings[key]
  const nasClients = snapshot.nasClients.map((n) => ({
    name: n.name,
    address: n.address,
    realm: n.realm,
    requireMessageAuthenticator: n.requireMessageAuthenticator,
    coaHost: n.coaHost,
    coaPort: n.coaPort,
    liftProfile: n.liftProfile,
    coaAttributes: n.coaAttributes,
  }))
  const doc = new Document({ version: 1, settings: ordered, nasClients })
  doc.commentBefore = HEADER
  return doc.toString({ lineWidth: 0 })
}

/** Parse and validate a configuration file; every problem is reported, with its path. */
export function parseConfigFile(text: string, context: SettingsContext): { file: ConfigFile | undefined; problems: Problem[] } {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return { file: undefined, problems: doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}` : '(file)', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') })) }
  }
  const root = doc.toJS({ maxAliasCount: 100 }) as unknown
  if (root === null || typeof root !== 'object' || Array.isArray(root)) return { file: undefined, problems: [{ path: '(file)', message: 'expected a mapping with version, settings and nasClients' }] }
  const problems: Problem[] = []
  const { version, settings: rawSettings, nasClients: rawNas, ...rest } = root as Record<string, unknown>
  for (const key of Object.keys(rest)) problems.push({ path: key, message: 'unknown section (known: version, settings, nasClients)' })
  if (version !== 1) problems.push({ path: 'version', message: 'expected 1' })
  const settings = validateSettings(rawSettings ?? {}, context)
  problems.push(...settings.problems)
  const nasClients: NasClientInput[] = []
  if (rawNas !== undefined && rawNas !== null && !Array.isArray(rawNas)) problems.push({ path: 'nasClients', message: 'expected a list' })
  const seen = { names: new Map<string, number>(), addresses: new Map<string, number>() }
  ;((Array.isArray(rawNas) ? rawNas : []) as unknown[]).forEach((item, i) => {
    const path = `nasClients[${i}]`
    const { nas, problems: nasProblems } = validateNasClient(item, path, { secretRequired: false })
    problems.push(...nasProblems)
    if (nas === undefined) return
    const sameName = seen.names.get(nas.name)
    const sameAddress = seen.addresses.get(nas.address)
    if (sameName !== undefined) problems.push({ path: `${path}.name`, message: `also used by nasClients[${sameName}]` })
    if (sameAddress !== undefined) problems.push({ path: `${path}.address`, message: `also used by nasClients[${sameAddress}]` })
    seen.names.set(nas.name, i)
    seen.addresses.set(nas.address, i)
    nasClients.push(nas)
  })
  return problems.length > 0 ? { file: undefined, problems } : { file: { settings: settings.settings, nasClients }, problems }
}

/**
 * Apply `file` in `trx`: settings replaced as a whole, NAS clients matched by name (added,
 * changed, removed). Checks what needs the database first (a new NAS without a secret) and
 * returns those problems without writing anything.
 */
export async function applyConfigFile(trx: Transaction<Database>, file: ConfigFile): Promise<{ problems: Problem[]; summary: ImportSummary | undefined }> {
  const existing = new Map((await listNasClients(trx)).map((row) => [row.name, row]))
  const problems: Problem[] = []
  file.nasClients.forEach((nas, i) => {
    if (!existing.has(nas.name) && nas.secret === undefined) problems.push({ path: `nasClients[${i}].secret`, message: `${nas.name} is a new NAS client: give its shared secret` })
  })
  if (problems.length > 0) return { problems, summary: undefined }

  const current = await trx.selectFrom('settings').select('key').orderBy('key').execute()
  const changes: Record<string, unknown> = {}
  for (const { key } of current) changes[key] = null
  Object.assign(changes, file.settings)
  await writeSettings(trx, changes)

  const summary: ImportSummary = {
    settingsSet: Object.keys(file.settings),
    settingsCleared: current.map((r) => r.key).filter((k) => !(k in file.settings)),
    nasAdded: [],
    nasChanged: [],
    nasRemoved: [],
    secretsChanged: [],
  }
  const wanted = new Set(file.nasClients.map((n) => n.name))
  // Removals first, so an address can move to another NAS in the same file.
  for (const [name, row] of existing) {
    if (wanted.has(name)) continue
    await deleteNasClient(trx, row.id)
    summary.nasRemoved.push(name)
  }
  for (const nas of file.nasClients) {
    const row = existing.get(nas.name)
    if (row === undefined) {
      await insertNasClient(trx, { ...nas, secret: nas.secret! })
      summary.nasAdded.push(nas.name)
      continue
    }
    const secretChanged = nas.secret !== undefined && nas.secret !== row.secret
    const same =
      displayAddress(row.address) === displayAddress(nas.address) && row.realm === nas.realm && row.requireMessageAuthenticator === nas.requireMessageAuthenticator &&
      row.coaHost === nas.coaHost && row.coaPort === nas.coaPort && row.liftProfile === nas.liftProfile &&
      JSON.stringify(row.coaAttributes) === JSON.stringify(nas.coaAttributes)
    if (same && !secretChanged) continue
    await updateNasClient(trx, row.id, { ...nas, secret: secretChanged ? nas.secret : undefined })
    summary.nasChanged.push(nas.name)
    if (secretChanged) summary.secretsChanged.push(nas.name)
  }
  return { problems, summary }
}
