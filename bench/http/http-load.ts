// HTTP/1.1 keep-alive load generator for the portal benchmark, one source address per subscriber.
//
// wrk cannot bind source addresses, and the gateway identifies a line by the socket's peer address,
// so this generator opens one keep-alive connection per source address (any 127.0.0.0/8 address
// can be bound on Linux) and sends request k from source k mod N, keeping CONCURRENCY requests in
// flight. It speaks HTTP/1.1 over plain sockets (content-length and chunked bodies, gzip/br/deflate
// decoded when a body is checked) so that it costs the shared CPU as little as possible.
//
//   node http-load.ts --port P --sources FILE [--path /portal] [--host 127.0.0.1] [--host-header H]
//     [--concurrency 64] [--max-requests 200000] [--max-seconds 20] [--warmup-pass 1]
//     [--expect TEXT] [--check-every 1] [--accept-encoding gzip] [--name row] [--cpu name=pid,...]
//
// FILE: one source per line, "ADDRESS EXPECTED": EXPECTED is text the body must contain for that
// source (the masked number of its line); --expect TEXT replaces it for every source (baselines).
// Every response must have status 200; every --check-every'th body must contain the expected text.
//
// Phases: a warm-up pass sends one request from each source (this opens the N connections; its
// rate includes the TCP handshakes) and is verified like the rest; then the measured phase runs
// until --max-requests have been sent or --max-seconds have passed, whichever first; requests still
// in flight then are awaited (at most 5 s). Latency is request write → last byte of the response.
// Prints one JSON line. Exit status: 0 all good; 3 wrong answers (status or body); 1 errors.
import { readFileSync, readdirSync } from 'node:fs'
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import zlib from 'node:zlib'

const { values: opt } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    path: { type: 'string', default: '/portal' },
    'host-header': { type: 'string' },
    sources: { type: 'string' },
    expect: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    'max-requests': { type: 'string', default: '200000' },
    'max-seconds': { type: 'string', default: '20' },
    'warmup-pass': { type: 'string', default: '1' },
    'check-every': { type: 'string', default: '1' },
    'accept-encoding': { type: 'string' },
    name: { type: 'string', default: 'load' },
    round: { type: 'string', default: '1' },
    cpu: { type: 'string', default: '' },
    'clk-tck': { type: 'string', default: '100' },
  },
})

function fail(message: string): never {
  process.stderr.write(`http-load: ${message}\n`)
  process.exit(1)
}
function intOpt(name: string, value: string | undefined, min: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min} (got ${JSON.stringify(value)})`)
  return n
}
const isLoopback = (a: string) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a) && a.split('.').every((o) => Number(o) <= 255)

const host = opt.host
if (!isLoopback(host)) fail(`refusing non-loopback target ${host} (only 127.0.0.0/8)`)
const port = intOpt('port', opt.port, 1)
const concurrency = intOpt('concurrency', opt.concurrency, 1)
const maxRequests = intOpt('max-requests', opt['max-requests'], 1)
const maxSeconds = intOpt('max-seconds', opt['max-seconds'], 1)
const warmupPass = intOpt('warmup-pass', opt['warmup-pass'], 0)
const checkEvery = intOpt('check-every', opt['check-every'], 1)
if (opt.sources === undefined) fail('--sources FILE is required')

interface Source {
  address: string
  expect: Buffer
}
const sources: Source[] = []
for (const line of readFileSync(opt.sources, 'utf8').split('\n')) {
  const [address, expected] = line.trim().split(/\s+/)
  if (!address) continue
  if (!isLoopback(address)) fail(`refusing non-loopback source address ${address}`)
  const text = opt.expect ?? expected
  if (!text) fail(`source ${address} has no expected text (and no --expect)`)
  sources.push({ address, expect: Buffer.from(text, 'utf8') })
}
if (sources.length === 0) fail('no sources')
if (sources.length < concurrency) fail(`need more sources (${sources.length}) than --concurrency (${concurrency})`)

const headers = [
  `GET ${opt.path} HTTP/1.1`,
  `Host: ${opt['host-header'] ?? `${host}:${port}`}`,
  'User-Agent: Mozilla/5.0 (Linux; Android 14) rg-bench-http',
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Accept-Language: zh-CN,zh;q=0.9,en;q=0.8',
  ...(opt['accept-encoding'] ? [`Accept-Encoding: ${opt['accept-encoding']}`] : []),
  'Connection: keep-alive',
]
const REQUEST = Buffer.from(`${headers.join('\r\n')}\r\n\r\n`, 'latin1')
const CRLFCRLF = Buffer.from('\r\n\r\n')

// ---- results ------------------------------------------------------------------------------------
interface PhaseStats {
  sent: number
  done: number
  ok: number
  checked: number
  mismatches: number
  errors: number
  status: Record<string, number>
  bytes: number
}
const newStats = (): PhaseStats => ({ sent: 0, done: 0, ok: 0, checked: 0, mismatches: 0, errors: 0, status: {}, bytes: 0 })
const warm = newStats()
const measured = newStats()
const latencies = new Float64Array(maxRequests)
const examples: string[] = []
let latCount = 0
let connects = 0
let reconnects = 0
let phase: 'warmup' | 'measured' | 'draining' | 'done' = 'warmup'

function note(example: string): void {
  if (examples.length < 5) examples.push(example)
}

// ---- one keep-alive connection per source -------------------------------------------------------
interface Conn {
  src: Source
  socket: net.Socket | null
  busy: boolean
  startedAt: number
  stats: PhaseStats | null
  checkThis: boolean
  chunks: Buffer[]
  length: number
}
const conns: Conn[] = sources.map((src) => ({ src, socket: null, busy: false, startedAt: 0, stats: null, checkThis: false, chunks: [], length: 0 }))

function open(conn: Conn): net.Socket {
  connects += 1
  const socket = net.connect({ host, port, localAddress: conn.src.address, noDelay: true })
  socket.on('data', (data: Buffer) => {
    conn.chunks.push(data)
    conn.length += data.length
    tryComplete(conn)
  })
  const lost = (why: string) => {
    if (conn.socket !== socket) return
    conn.socket = null
    if (conn.busy) finish(conn, null, `connection ${why} mid-request`)
  }
  socket.on('error', (err) => lost(`error (${err.message})`))
  socket.on('close', () => lost('closed'))
  conn.socket = socket
  return socket
}

interface Parsed {
  status: number
  headers: string
  body: Buffer
  close: boolean
  consumed: number
}

/** Parse one complete response from `buf`, or undefined when more bytes are needed. */
function parse(buf: Buffer): Parsed | undefined {
  const end = buf.indexOf(CRLFCRLF)
  if (end === -1) return undefined
  const head = buf.toString('latin1', 0, end)
  const status = Number(head.slice(9, 12))
  const lower = head.toLowerCase()
  const close = /\r\nconnection:\s*close/.test(lower)
  const start = end + 4
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower)
  if (cl) {
    const total = start + Number(cl[1])
    if (buf.length < total) return undefined
    return { status, headers: lower, body: buf.subarray(start, total), close, consumed: total }
  }
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
    const parts: Buffer[] = []
    let at = start
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at, 'latin1')
      if (lineEnd === -1) return undefined
      const size = parseInt(buf.toString('latin1', at, lineEnd), 16)
      if (!Number.isFinite(size)) throw new Error('bad chunk size')
      if (size === 0) {
        // No trailers are expected: the message ends with the empty line after the last chunk.
        if (buf.length < lineEnd + 4) return undefined
        return { status, headers: lower, body: Buffer.concat(parts), close, consumed: lineEnd + 4 }
      }
      if (buf.length < lineEnd + 2 + size + 2) return undefined
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size))
      at = lineEnd + 2 + size + 2
    }
  }
  // No length: 1xx/204/304 have no body; anything else would be read to close, which we refuse.
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) return { status, headers: lower, body: Buffer.alloc(0), close, consumed: start }
  throw new Error(`response without length (status ${status})`)
}

function decoded(p: Parsed): Buffer {
  const enc = /\r\ncontent-encoding:\s*([a-z-]+)/.exec(p.headers)?.[1]
  if (enc === undefined || enc === 'identity') return p.body
  if (enc === 'gzip') return zlib.gunzipSync(p.body)
  if (enc === 'br') return zlib.brotliDecompressSync(p.body)
  if (enc === 'deflate') return zlib.inflateSync(p.body)
  throw new Error(`unknown content-encoding ${enc}`)
}

function tryComplete(conn: Conn): void {
  if (!conn.busy) {
    // Bytes nobody asked for: the server is confused, or we are.
    finishUnexpected(conn)
    return
  }
  const buf = conn.chunks.length === 1 ? conn.chunks[0]! : Buffer.concat(conn.chunks, conn.length)
  let parsed: Parsed | undefined
  try {
    parsed = parse(buf)
  } catch (err) {
    conn.socket?.destroy()
    conn.socket = null
    finish(conn, null, `unparsable response: ${(err as Error).message}`)
    return
  }
  if (parsed === undefined) {
    conn.chunks = [buf]
    return
  }
  if (parsed.consumed !== buf.length) {
    conn.socket?.destroy()
    conn.socket = null
    finish(conn, null, `${buf.length - parsed.consumed} unexpected bytes after a response`)
    return
  }
  conn.chunks = []
  conn.length = 0
  if (parsed.close) {
    conn.socket?.end()
    conn.socket = null
    reconnects += 1
  }
  finish(conn, parsed, null)
}

function finishUnexpected(conn: Conn): void {
  conn.chunks = []
  conn.length = 0
  conn.socket?.destroy()
  conn.socket = null
  measured.errors += 1
  note(`${conn.src.address}: bytes received with no request in flight`)
}

function finish(conn: Conn, parsed: Parsed | null, error: string | null): void {
  const stats = conn.stats!
  const ms = performance.now() - conn.startedAt
  conn.busy = false
  conn.stats = null
  conn.chunks = []
  conn.length = 0
  stats.done += 1
  if (parsed === null) {
    stats.errors += 1
    note(`${conn.src.address}: ${error}`)
  } else {
    stats.status[parsed.status] = (stats.status[parsed.status] ?? 0) + 1
    stats.bytes += parsed.body.length
    let good = parsed.status === 200
    if (!good) note(`${conn.src.address}: status ${parsed.status}`)
    if (good && conn.checkThis) {
      stats.checked += 1
      try {
        if (decoded(parsed).indexOf(conn.src.expect) === -1) {
          good = false
          note(`${conn.src.address}: body (${parsed.body.length} B) lacks ${JSON.stringify(conn.src.expect.toString())}`)
        }
      } catch (err) {
        good = false
        note(`${conn.src.address}: cannot decode body: ${(err as Error).message}`)
      }
    }
    if (good) stats.ok += 1
    else stats.mismatches += 1
    if (stats === measured && latCount < maxRequests) latencies[latCount++] = ms
  }
  if (stats === measured) lastDone = performance.now()
  inFlight -= 1
  pump()
}

// ---- dispatch -----------------------------------------------------------------------------------
let inFlight = 0
let cursor = 0
let measuredStart = 0
let measuredDeadline = 0
let lastDone = 0
let onIdle: (() => void) | null = null

function send(conn: Conn, stats: PhaseStats): void {
  conn.busy = true
  conn.stats = stats
  stats.sent += 1
  conn.checkThis = stats.sent % checkEvery === 0 || stats === warm
  inFlight += 1
  const socket = conn.socket ?? open(conn)
  conn.startedAt = performance.now()
  socket.write(REQUEST)
}

function pump(): void {
  if (phase === 'warmup') {
    while (inFlight < concurrency && warm.sent < sources.length * warmupPass) {
      send(conns[warm.sent % conns.length]!, warm)
    }
    if (inFlight === 0 && warm.sent >= sources.length * warmupPass) onIdle?.()
    return
  }
  if (phase === 'measured') {
    const now = performance.now()
    while (inFlight < concurrency && measured.sent < maxRequests && now < measuredDeadline) {
      // Round-robin over sources; skip one whose previous request is still in flight.
      let conn = conns[cursor % conns.length]!
      for (let tries = 0; conn.busy && tries < conns.length; tries++) {
        cursor += 1
        conn = conns[cursor % conns.length]!
      }
      cursor += 1
      send(conn, measured)
    }
    if (measured.sent >= maxRequests || now >= measuredDeadline) phase = 'draining'
  }
  if (phase === 'draining' && inFlight === 0) onIdle?.()
}

function untilIdle(): Promise<void> {
  return new Promise((resolve) => {
    onIdle = () => {
      onIdle = null
      resolve()
    }
    pump()
  })
}

// ---- CPU of the servers under test (whole process trees, from /proc) ---------------------------
const CLK_TCK = intOpt('clk-tck', opt['clk-tck'], 1)
function treeTicks(root: number): number {
  const parent = new Map<number, number>()
  const ticks = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parent.set(Number(entry), Number(fields[1]))
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]))
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0
  for (const [pid, t] of ticks) {
    let p: number | undefined = pid
    for (let hops = 0; p !== undefined && p !== root && p > 1 && hops < 64; hops++) p = parent.get(p)
    if (p === root) total += t
  }
  return total
}
const cpuTargets = (opt.cpu ?? '')
  .split(',')
  .filter((item) => item.includes('='))
  .map((item) => {
    const [label, pid] = item.split('=')
    return { label: label!, pid: Number(pid) }
  })

/** Busy and steal jiffies of the whole host (all CPUs), from the first line of /proc/stat. */
function hostTicks(): { busy: number; steal: number } {
  const f = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number)
  // user nice system idle iowait irq softirq steal ...
  return { busy: f[0]! + f[1]! + f[2]! + f[5]! + f[6]!, steal: f[7]! }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d

// ---- run ----------------------------------------------------------------------------------------
async function main(): Promise<number> {
  const hardStop = setTimeout(() => {
    process.stderr.write('http-load: hard time limit reached; giving up\n')
    for (const c of conns) c.socket?.destroy()
    process.exit(1)
  }, (maxSeconds + 120) * 1000)
  hardStop.unref()

  const w0 = performance.now()
  if (warmupPass > 0) await untilIdle()
  const warmS = (performance.now() - w0) / 1000

  phase = 'measured'
  const cpu0 = process.cpuUsage()
  const srv0 = cpuTargets.map((t) => treeTicks(t.pid))
  const host0 = hostTicks()
  measuredStart = performance.now()
  measuredDeadline = measuredStart + maxSeconds * 1000
  // The deadline also has to be noticed when no response arrives to pump() again.
  const tick = setInterval(() => pump(), 100)
  const grace = new Promise<void>((resolve) => setTimeout(resolve, (maxSeconds + 5) * 1000).unref())
  await Promise.race([untilIdle(), grace])
  clearInterval(tick)
  const wall = (Math.max(lastDone, measuredStart + 1) - measuredStart) / 1000
  const cpu = process.cpuUsage(cpu0)
  const srv1 = cpuTargets.map((t) => treeTicks(t.pid))
  const host1 = hostTicks()
  const stuck = inFlight
  phase = 'done'
  for (const c of conns) c.socket?.destroy()

  const lat = latencies.subarray(0, latCount).sort()
  const serverCpu: Record<string, number> = {}
  cpuTargets.forEach((t, i) => {
    serverCpu[t.label] = round((100 * (srv1[i]! - srv0[i]!)) / CLK_TCK / wall, 0)
  })
  const out = {
    part: 'portal',
    name: opt.name,
    round: Number(opt.round),
    path: opt.path,
    sources: sources.length,
    concurrency,
    requests: measured.done,
    ok: measured.ok,
    checked: measured.checked,
    mismatches: measured.mismatches + warm.mismatches,
    errors: measured.errors + warm.errors + stuck,
    status: measured.status,
    wall_s: round(wall, 3),
    rps: round(measured.done / wall, 0),
    p50_ms: round(percentile(lat, 50), 3),
    p90_ms: round(percentile(lat, 90), 3),
    p99_ms: round(percentile(lat, 99), 3),
    max_ms: round(percentile(lat, 100), 3),
    body_bytes_avg: measured.done === 0 ? 0 : round(measured.bytes / measured.done, 0),
    loadgen_cpu: round((100 * (cpu.user + cpu.system)) / 1e6 / wall, 0),
    server_cpu: serverCpu,
    host_cpu: round((100 * (host1.busy - host0.busy)) / CLK_TCK / wall, 0),
    steal_cpu: round((100 * (host1.steal - host0.steal)) / CLK_TCK / wall, 0),
    warmup: { requests: warm.done, ok: warm.ok, s: round(warmS, 3), rps: round(warm.done / warmS, 0), status: warm.status },
    connects,
    reconnects,
    per_source_avg: round((warm.done + measured.done) / sources.length, 1),
    examples,
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
  if (out.errors > 0) return 1
  if (out.mismatches > 0) return 3
  return 0
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => fail((err as Error).stack ?? String(err)),
)
