import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findNasClientByName } from '../../src/db/nas-clients.ts'
import { applyConfigFile, configYaml, parseConfigFile } from '../../src/settings/config-file.ts'
import { readConfigSnapshot } from '../../src/settings/config-snapshot.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts'

const context = { cardAvailable: true, envTrustedProxies: [] }

const FILE = `version: 1
settings:
  trustedProxies: [10.9.0.0/16]
  enrichmentHeaders: [x-msisdn]
  amounts: [30, 10]
  hotline: "400 100 100"
  texts:
    en: { title: Top up your line }
nasClients:
  - name: bng-a
    address: 192.0.2.1
    secret: secret-of-bng-a
    coaAttributes: [{ name: Filter-Id, value: open }]
  - name: pgw-b
    address: 198.51.100.0/24
    coaHost: 198.51.100.1
    realm: apn-b
    secret: secret-of-pgw-b
    liftProfile: disconnect
`

describe(`the YAML configuration file (${process.env.DATABASE_URL ? 'PostgreSQL server' : 'embedded PGlite'})`, () => {
  let t: TestDatabase
  beforeAll(async () => {
    t = await createTestDatabase()
  })
  afterAll(async () => {
    await t.destroy()
  })

  async function importText(text: string) {
    const parsed = parseConfigFile(text, context)
    if (parsed.file === undefined) return { problems: parsed.problems, summary: undefined }
    return t.handle.db.transaction().execute((trx) => applyConfigFile(trx, parsed.file!))
  }

  it('imports settings and NAS clients, and exports them again without any secret', async () => {
    const result = await importText(FILE)
    expect(result.problems).toEqual([])
    expect(result.summary).toMatchObject({ nasAdded: ['bng-a', 'pgw-b'], settingsSet: ['trustedProxies', 'enrichmentHeaders', 'amounts', 'hotline', 'texts'] })
    const yaml = configYaml(await readConfigSnapshot(t.handle.db, context))
    expect(yaml).not.toContain('secret-of')
    expect(yaml).not.toMatch(/^\s*secret:/m)
    expect(yaml).toContain('amounts:\n    - "10.00"\n    - "30.00"')
    // The export imports back to exactly the same configuration, secrets kept.
    const again = await importText(yaml)
    expect(again.problems).toEqual([])
    expect(again.summary).toMatchObject({ nasAdded: [], nasChanged: [], nasRemoved: [], settingsCleared: [] })
    expect((await findNasClientByName(t.handle.db, 'bng-a'))?.secret).toBe('secret-of-bng-a')
  })

  it('reports every problem with its path and applies nothing', async () => {
    const before = await readConfigSnapshot(t.handle.db, context)
    const bad = `version: 1
settings:
  amounts: [ten]
  colour: blue
nasClients:
  - name: bng-a
    address: 192.0.2.300
  - name: bng-a
    address: 192.0.2.7
    coaPort: 0
extra: true
`
    const { problems } = await importText(bad)
    expect(problems).toEqual([
      { path: 'extra', message: 'unknown section (known: version, settings, nasClients)' },
      { path: 'settings.amounts[0]', message: '"ten" is not a positive amount like 50 or 49.90' },
      { path: 'settings.amounts', message: 'offer at least one amount' },
      { path: 'settings.colour', message: expect.stringMatching(/^unknown setting/) },
      { path: 'nasClients[0].address', message: '"192.0.2.300" is not an IP address or CIDR' },
      { path: 'nasClients[1].coaPort', message: 'expected a port from 1 to 65535' },
    ])
    expect(await readConfigSnapshot(t.handle.db, context)).toEqual(before)
  })

  it('reports YAML syntax errors with their line', async () => {
    const { problems } = await importText('version: 1\nsettings:\n  amounts: [10\n')
    expect(problems[0]?.path).toMatch(/^line \d+$/)
  })

  it('needs the secret of a new NAS client (checked before anything is written) and keeps or changes existing ones', async () => {
    const revision = (await readConfigSnapshot(t.handle.db, context)).revision
    const missing = await importText(`version: 1\nnasClients:\n  - { name: bng-a, address: 192.0.2.1 }\n  - { name: new-nas, address: 203.0.113.5 }\n`)
    expect(missing.problems).toEqual([{ path: 'nasClients[1].secret', message: 'new-nas is a new NAS client: give its shared secret' }])
    expect((await readConfigSnapshot(t.handle.db, context)).revision).toBe(revision)

    const changed = await importText(`version: 1\nnasClients:\n  - { name: bng-a, address: 192.0.2.1, secret: a-new-secret-for-a, coaAttributes: [{ name: Filter-Id, value: open }] }\n`)
    expect(changed.summary).toEqual({ settingsSet: [], settingsCleared: ['amounts', 'enrichmentHeaders', 'hotline', 'texts', 'trustedProxies'].sort(), nasAdded: [], nasChanged: ['bng-a'], nasRemoved: ['pgw-b'], secretsChanged: ['bng-a'] })
    const snapshot = await readConfigSnapshot(t.handle.db, context)
    expect(snapshot.settings).toEqual({})
    expect(snapshot.nasClients.map((n) => n.name)).toEqual(['bng-a'])
    expect((await findNasClientByName(t.handle.db, 'bng-a'))?.secret).toBe('a-new-secret-for-a')
  })

  it('rolls the whole import back when the database refuses part of it', async () => {
    // Adding "c" takes 192.0.2.2 only after bng-a has moved there: the file is valid on its own,
    // the unique index refuses it, and the settings written before must go too.
    const text = `version: 1\nsettings: { hotline: "999" }\nnasClients:\n  - { name: bng-a, address: 192.0.2.1 }\n  - { name: c, address: 192.0.2.2, secret: secret-of-c-1 }\n`
    expect((await importText(text)).problems).toEqual([])
    const before = await readConfigSnapshot(t.handle.db, context)
    const swapped = `version: 1\nnasClients:\n  - { name: bng-a, address: 192.0.2.2 }\n  - { name: c, address: 192.0.2.1 }\n`
    await expect(importText(swapped)).rejects.toThrow(/duplicate key|unique/)
    expect(await readConfigSnapshot(t.handle.db, context)).toEqual(before)
  })
})
