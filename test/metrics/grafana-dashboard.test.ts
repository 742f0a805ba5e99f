// The Grafana dashboard in docs/grafana cannot silently rot: every metric its queries use must be
// exported by the real gateway's /metrics (a process started as an operator starts it), and the
// scrape moves when the real thing happens (an accounting datagram from an unknown client is
// dropped and counted by reason).
import { createSocket } from 'node:dgram'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, ROOT, type Running, runNode, waitFor } from '../helpers/process.ts'
import { families, sample } from './scrape.ts'

interface Panel {
  type: string
  title: string
  targets?: { expr: string }[]
  panels?: Panel[]
}
interface Dashboard {
  uid: string
  title: string
  panels: Panel[]
  templating: { list: { name: string; query?: unknown; definition?: string }[] }
}

const dashboard = JSON.parse(readFileSync(join(ROOT, 'docs/grafana/recharge-gateway.json'), 'utf8')) as Dashboard
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])])
const graphs = allPanels(dashboard.panels).filter((p) => p.type !== 'row')
const expressions = [
  ...graphs.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : [])),
]
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/

/** The metric family a name in a query belongs to (a histogram's _bucket/_sum/_count → the histogram). */
function family(name: string, exported: Map<string, string>): string | undefined {
  if (exported.has(name)) return name
  const base = name.replace(HISTOGRAM_SERIES, '')
  return exported.get(base) === 'histogram' || exported.get(base) === 'summary' ? base : undefined
}

describe('the Grafana dashboard', { timeout: 120_000 }, () => {
  let dir: string
  let gateway: Running
  let port: number
  let radiusPort: number

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rg-dashboard-'))
    port = await freePort()
    gateway = runNode('src/main.ts', [], { PORT: String(port), HOST: '127.0.0.1', RADIUS_ACCT_PORT: '0', DATA_DIR: dir, SEED_DEMO: 'false', LOG_LEVEL: 'info' })
    await waitFor(() => gateway.stdout().includes('RADIUS accounting listening'), 90_000, 'the gateway to start')
    const line = gateway.stdout().split('\n').find((l) => l.includes('RADIUS accounting listening'))!
    radiusPort = (JSON.parse(line) as { address: { port: number } }).address.port
  })
  afterAll(async () => {
    if (gateway && gateway.child.exitCode === null) {
      gateway.child.kill('SIGTERM')
      await gateway.exited
    }
    rmSync(dir, { recursive: true, force: true })
  })

  const scrape = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`)
    expect(res.status).toBe(200)
    return res.text()
  }

  it('has panels for the funnel, conversion, CoA, accounting, jobs, HTTP p99 and memory, each with a query', () => {
    expect(dashboard.uid).toBe('recharge-gateway')
    const titles = graphs.map((p) => p.title).join(' | ')
    for (const topic of [/Funnel/, /Conversion/, /CoA/, /NAKs by Error-Cause/, /Accounting drops/, /Accounting requests/, /Job queue depth/, /Oldest job/, /HTTP p99/, /memory/]) expect(titles).toMatch(topic)
    for (const panel of graphs) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0)
      for (const target of panel.targets!) expect(target.expr, panel.title).toMatch(/\bgateway_\w+/)
    }
  })

  it('uses only metrics the running gateway exports', async () => {
    const exported = families(await scrape())
    const used = new Set(expressions.flatMap((e) => [...e.matchAll(/\b(gateway_\w+)/g)].map((m) => m[1]!)))
    expect(used.size).toBeGreaterThan(15)
    const missing = [...used].filter((name) => family(name, exported) === undefined)
    expect(missing).toEqual([])
  })

  it('shows an accounting drop by reason after a datagram from an unknown client', async () => {
    const before = sample(await scrape(), 'gateway_radius_accounting_drops_total', { reason: 'unknown_client' })
    const socket = createSocket('udp4')
    // An Accounting-Request header (code 4, length 20) from a source that is no configured NAS.
    const datagram = Buffer.alloc(20)
    datagram[0] = 4
    datagram.writeUInt16BE(20, 2)
    await new Promise<void>((resolve, reject) => socket.send(datagram, radiusPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())))
    socket.close()
    await waitFor(async () => sample(await scrape(), 'gateway_radius_accounting_drops_total', { reason: 'unknown_client' }) === before + 1, 10_000, 'the drop to be counted')
  })
})
