// Where the gateway's CPU went: summarises a V8 .cpuprofile (from `node --cpu-prof`, PROFILE=1).
// Prints self time by area (our src/ files, each npm package, node internals, GC, idle) and the
// functions with the most self time, plus inclusive time of the gateway's own functions (src/).
//
//   node cpu-profile-top.ts FILE.cpuprofile [TOP=20]
import { readFileSync } from 'node:fs'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const [file, topArg] = process.argv.slice(2)
if (file === undefined) {
  process.stderr.write('usage: node cpu-profile-top.ts FILE.cpuprofile [TOP]\n')
  process.exit(2)
}
const top = Number(topArg ?? 20)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

function area(f: CallFrame): string {
  const url = f.url
  if (url === '') return f.functionName.startsWith('(') ? f.functionName : '(native/V8)'
  if (url.startsWith('node:')) return 'node internals'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return `npm ${pkg[1]}`
  const src = /\/(src|templates)\/(.*)$/.exec(url)
  if (src) return `${src[1]}/${src[2]}`
  return url
}
const short = (f: CallFrame) => {
  const src = /\/((?:src|templates|node_modules\/(?:@[^/]+\/)?[^/]+)\/.*)$/.exec(f.url)?.[1] ?? f.url
  return `${f.functionName || '(anonymous)'} ${src}${f.url ? `:${f.lineNumber + 1}` : ''}`
}

const selfByArea = new Map<string, number>()
const selfByFn = new Map<string, number>()
const inclusiveSrc = new Map<string, number>()
let total = 0
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0
  const node = byId.get(profile.samples[i]!)
  if (node === undefined) continue
  total += dt
  const a = area(node.callFrame)
  selfByArea.set(a, (selfByArea.get(a) ?? 0) + dt)
  const k = short(node.callFrame)
  selfByFn.set(k, (selfByFn.get(k) ?? 0) + dt)
  // Inclusive time of our own functions: each counted once per sample, however deep the recursion.
  const seen = new Set<string>()
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const f = byId.get(id)!.callFrame
    if (!/\/src\//.test(f.url)) continue
    const key = short(f)
    if (seen.has(key)) continue
    seen.add(key)
    inclusiveSrc.set(key, (inclusiveSrc.get(key) ?? 0) + dt)
  }
}
const idle = selfByArea.get('(idle)') ?? 0
const busy = total - idle
const show = (m: Map<string, number>, n: number, base: number) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `  ${((100 * v) / base).toFixed(1).padStart(5)}%  ${(v / 1e6).toFixed(2).padStart(7)} s  ${k}`)
    .join('\n')

const out = [
  '',
  `CPU profile of the gateway: ${file}`,
  `  ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages below are of busy time)`,
  'Self time by area:',
  show(new Map([...selfByArea].filter(([k]) => k !== '(idle)')), top, busy),
  'Self time by function:',
  show(new Map([...selfByFn].filter(([k]) => !k.startsWith('(idle)'))), top, busy),
  'Inclusive time of the gateway\'s own functions (src/):',
  show(inclusiveSrc, top, busy),
  '',
]
process.stdout.write(out.join('\n'))
