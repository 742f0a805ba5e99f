// RADIUS accounting load generator for the benchmark, with per-request acknowledgement latency.
// Builds every Accounting-Request (RFC 2866 §3-5) in memory first, then keeps PARALLEL requests in
// flight over a sliding window in order, like `radclient -p`, checks every Response Authenticator
// (RFC 2866 §3: MD5(Code+Identifier+Length+RequestAuth+Attributes+Secret)) and retransmits the
// identical bytes after TIMEOUT seconds, up to RETRIES times. Latency is first send → valid answer.
//
//   node acct-loader.ts --port P --phase start|interim --sessions K [--rounds R] [--parallel 64]
//     [--host 127.0.0.1] [--secret testing123] [--timeout 3] [--retries 3] [--max-seconds 60]
//     [--sid-prefix gwb-] [--ip-base 10.128.0.0] [--msisdn-base 8613900000000] [--nas-id bench-gw-01]
//
// phase start: one Start per session. phase interim: rounds 1..R of Interim-Update, round-robin
// over the sessions (round r: Acct-Session-Time = 60·r, cumulative counters), so two packets of one
// session are K places apart and never in flight together while K > PARALLEL.
// Framed-IP-Address values are data inside the packets; datagrams only ever go to 127.0.0.0/8.
// Prints one JSON line: sent, responses, lost, bad, retransmits, wall_s, rate, cpu_s (during the
// load), cpu_total_s (whole process), p50/p90/p99/max ms.
import { createHash } from 'node:crypto'
import dgram from 'node:dgram'
import { parseArgs } from 'node:util'

const { values: opt } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    secret: { type: 'string', default: 'testing123' },
    phase: { type: 'string' },
    sessions: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    parallel: { type: 'string', default: '64' },
    timeout: { type: 'string', default: '3' },
    retries: { type: 'string', default: '3' },
    'max-seconds': { type: 'string', default: '60' },
    'sid-prefix': { type: 'string', default: 'gwb-' },
    'ip-base': { type: 'string', default: '10.128.0.0' },
    'msisdn-base': { type: 'string', default: '8613900000000' },
    'nas-id': { type: 'string', default: 'bench-gw-01' },
  },
})

function fail(message: string): never {
  process.stderr.write(`acct-loader: ${message}\n`)
  process.exit(2)
}
function int(name: string, value: string | undefined, min: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}`)
  return n
}

const host = opt.host ?? ''
if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) fail(`refusing non-loopback target '${host}' (127.0.0.0/8 only)`)
const port = int('port', opt.port, 1)
const phase = opt.phase
if (phase !== 'start' && phase !== 'interim') fail('--phase must be start or interim')
const sessions = int('sessions', opt.sessions, 1)
const rounds = phase === 'start' ? 1 : int('rounds', opt.rounds, 1)
const parallel = int('parallel', opt.parallel, 1)
const timeoutMs = Number(opt.timeout) * 1000
const retries = int('retries', opt.retries, 0)
const maxMs = Number(opt['max-seconds']) * 1000
const secret = Buffer.from(opt.secret ?? '')
const ipBase = ipToInt(opt['ip-base'] ?? '')
const msisdnBase = BigInt(opt['msisdn-base'] ?? '0')
const sidPrefix = opt['sid-prefix'] ?? ''
const nasId = opt['nas-id'] ?? ''
if (sessions <= parallel) process.stderr.write('acct-loader: warning: sessions <= parallel, packets of one session may overlap\n')
if (ipBase + sessions + 1 > 0xffffffff) fail('--ip-base + sessions overflows IPv4')
if (sessions * rounds > 5_000_000) fail('more than 5,000,000 packets in one load: keep loads bounded')

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number)
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) fail(`bad IPv4 address '${ip}'`)
  return parts.reduce((acc, p) => acc * 256 + p, 0)
}

// --- encoding (attribute numbers and values from RFC 2865/2866 and the RADIUS registry)
const STATUS = { start: 1, interim: 3 } as const
const attrs: Buffer[] = []
function str(type: number, value: string): void {
  const v = Buffer.from(value)
  attrs.push(Buffer.concat([Buffer.from([type, v.length + 2]), v]))
}
function u32(type: number, value: number): void {
  const b = Buffer.alloc(6)
  b[0] = type
  b[1] = 6
  b.writeUInt32BE(value >>> 0, 2)
  attrs.push(b)
}

/** Accounting-Request for session i, round r (0 = Start), Identifier and authenticator left zero. */
function encode(i: number, round: number): Buffer {
  attrs.length = 0
  const msisdn = (msisdnBase + BigInt(i)).toString()
  u32(40, round === 0 ? STATUS.start : STATUS.interim) // Acct-Status-Type
  str(44, `${sidPrefix}${i.toString(16).padStart(8, '0')}`) // Acct-Session-Id
  str(1, msisdn) // User-Name
  str(31, msisdn) // Calling-Station-Id
  str(30, nasId) // Called-Station-Id
  u32(8, ipBase + i + 1) // Framed-IP-Address
  u32(4, 0x7f000001) // NAS-IP-Address 127.0.0.1
  str(32, nasId) // NAS-Identifier
  u32(5, i % 65536) // NAS-Port
  u32(61, 19) // NAS-Port-Type = Wireless-802.11
  u32(6, 2) // Service-Type = Framed-User
  u32(7, 1) // Framed-Protocol = PPP
  u32(45, 1) // Acct-Authentic = RADIUS
  u32(46, round * 60) // Acct-Session-Time
  u32(42, round * 150000 + (i % 1000)) // Acct-Input-Octets
  u32(43, round * 900000 + (i % 1000)) // Acct-Output-Octets
  u32(47, round * 120) // Acct-Input-Packets
  u32(48, round * 700) // Acct-Output-Packets
  u32(41, 0) // Acct-Delay-Time
  const body = Buffer.concat(attrs)
  const pkt = Buffer.alloc(20 + body.length)
  pkt[0] = 4 // Accounting-Request
  pkt.writeUInt16BE(pkt.length, 2)
  body.copy(pkt, 20)
  return pkt
}

const packets: Buffer[] = []
for (let r = phase === 'start' ? 0 : 1; r <= (phase === 'start' ? 0 : rounds); r++) {
  for (let i = 0; i < sessions; i++) packets.push(encode(i, r))
}

// --- sliding window
function md5(...parts: Buffer[]): Buffer {
  const h = createHash('md5')
  for (const p of parts) h.update(p)
  return h.digest()
}

interface Pending {
  index: number
  pkt: Buffer
  sentAt: number
  tries: number
  timer: NodeJS.Timeout | undefined
}
interface Socket {
  sock: dgram.Socket
  free: number[]
  pending: (Pending | undefined)[]
}

const latencyMs = new Float64Array(packets.length).fill(Number.NaN) // NaN: never answered (or never sent)
const stats = { responses: 0, lost: 0, bad: 0, retransmits: 0 }
let next = 0
let done = 0
let outstanding = 0
let t0 = 0
let cpu0 = process.cpuUsage()
let finished = false
const sockets: Socket[] = []

function fill(): void {
  while (outstanding < parallel && next < packets.length) {
    let s: Socket | undefined
    for (const x of sockets) if (x.free.length > 0 && (s === undefined || x.free.length > s.free.length)) s = x
    if (s === undefined) break
    const id = s.free.pop() as number
    const pkt = packets[next] as Buffer
    pkt[1] = id
    pkt.fill(0, 4, 20)
    md5(pkt, secret).copy(pkt, 4) // RFC 2866 §3 Request Authenticator
    const req: Pending = { index: next, pkt, sentAt: performance.now(), tries: 1, timer: undefined }
    s.pending[id] = req
    next++
    outstanding++
    transmit(s, req)
  }
  if (done === packets.length) finish()
}

function transmit(s: Socket, req: Pending): void {
  s.sock.send(req.pkt, port, host)
  req.timer = setTimeout(() => {
    if (req.tries > retries) {
      complete(s, req, false)
      fill()
      return
    }
    req.tries++
    stats.retransmits++
    transmit(s, req)
  }, timeoutMs)
}

function complete(s: Socket, req: Pending, answered: boolean): void {
  clearTimeout(req.timer)
  s.pending[req.pkt[1] as number] = undefined
  s.free.push(req.pkt[1] as number)
  outstanding--
  done++
  if (answered) {
    stats.responses++
    latencyMs[req.index] = performance.now() - req.sentAt
  } else {
    stats.lost++
    latencyMs[req.index] = Number.NaN
  }
}

function onMessage(s: Socket, msg: Buffer): void {
  if (msg.length < 20) {
    stats.bad++
    return
  }
  const req = s.pending[msg[1] as number]
  if (req === undefined) return // a late answer to a retransmitted request
  const expected = md5(msg.subarray(0, 4), req.pkt.subarray(4, 20), msg.subarray(20), secret)
  if (msg[0] !== 5 || msg.readUInt16BE(2) !== msg.length || !expected.equals(msg.subarray(4, 20))) {
    stats.bad++
    return
  }
  complete(s, req, true)
  fill()
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

function finish(): void {
  if (finished) return
  finished = true
  const wall = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  for (const s of sockets) {
    for (const req of s.pending) if (req !== undefined) clearTimeout(req.timer)
    s.sock.close()
  }
  const lost = packets.length - stats.responses
  const answered = latencyMs.filter((v) => !Number.isNaN(v)).sort()
  const ms = (v: number) => (Number.isNaN(v) ? null : Math.round(v * 1000) / 1000)
  const out = {
    phase,
    sent: packets.length,
    sessions,
    rounds,
    parallel,
    responses: stats.responses,
    lost,
    bad: stats.bad,
    retransmits: stats.retransmits,
    wall_s: Math.round(wall * 1000) / 1000,
    rate: wall > 0 ? Math.round(stats.responses / wall) : 0,
    cpu_s: Math.round(((cpu.user + cpu.system) / 1e6) * 1000) / 1000,
    // Including start-up and encoding, for whoever accounts for the host's CPU around this process.
    cpu_total_s: Math.round(((process.cpuUsage().user + process.cpuUsage().system) / 1e6) * 1000) / 1000,
    p50_ms: ms(percentile(answered, 50)),
    p90_ms: ms(percentile(answered, 90)),
    p99_ms: ms(percentile(answered, 99)),
    max_ms: ms(answered.length > 0 ? (answered[answered.length - 1] as number) : Number.NaN),
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
}

const socketCount = Math.max(1, Math.ceil(parallel / 200))
let bound = 0
for (let n = 0; n < socketCount; n++) {
  const s: Socket = { sock: dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 }), free: [], pending: new Array(256).fill(undefined) }
  for (let id = 255; id >= 0; id--) s.free.push(id)
  s.sock.on('message', (msg) => onMessage(s, msg))
  s.sock.on('error', (err) => fail(`socket error: ${err.message}`))
  sockets.push(s)
  s.sock.bind(0, '127.0.0.1', () => {
    if (++bound < socketCount) return
    t0 = performance.now()
    cpu0 = process.cpuUsage()
    setTimeout(() => {
      process.stderr.write(`acct-loader: stopped after --max-seconds ${maxMs / 1000}; unanswered requests count as lost\n`)
      finish()
    }, maxMs).unref()
    fill()
  })
}
