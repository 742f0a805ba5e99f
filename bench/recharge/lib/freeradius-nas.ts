// FreeRADIUS 3.2 playing the NAS side of RFC 5176 for the benchmark: the same minimal config as
// test/radius/helpers/freeradius.ts (a `coa` listener on 127.0.0.1, ACK with a
// Message-Authenticator for every CoA-Request), with two things made adjustable — the thread
// pool (the test helper has max_servers 2) and max_requests (the test helper has 256, and
// FreeRADIUS counts requests it still remembers for duplicate detection, cleanup_delay seconds
// after the reply, against that limit) — and a linelog module that appends one line per
// CoA-Request received, so the run can count what FreeRADIUS itself saw.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freeUdpPort, register, startChild } from './processes.ts'

/** How the NAS is configured. */
export interface NasSettings {
  secret: string
  threads: number
  maxRequests: number
  /** Seconds a replied request is remembered for duplicate detection (the test helper: 5). */
  cleanupDelay: number
}

/** The test helper's settings (test/radius/helpers/freeradius.ts). */
export const TEST_HELPER_SETTINGS = { threads: 2, maxRequests: 256, cleanupDelay: 5 } as const

function config(dir: string, port: number, s: NasSettings): string {
  return `
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = ${dir}
sbindir = /usr/sbin
logdir = ${dir}/log
raddbdir = ${dir}
radacctdir = ${dir}/log
confdir = ${dir}
modconfdir = ${dir}
run_dir = ${dir}/run
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/run/freeradius.pid
max_request_time = 10
cleanup_delay = ${s.cleanupDelay}
max_requests = ${s.maxRequests}
hostname_lookups = no
log {
	colourise = no
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = no
}
proxy_requests = no
thread pool {
	start_servers = ${s.threads}
	max_servers = ${s.threads}
	min_spare_servers = 1
	max_spare_servers = ${s.threads}
}
client loopback {
	ipaddr = 127.0.0.1
	secret = "${s.secret}"
}
modules {
	always ok {
		rcode = ok
	}
	linelog coa_seen {
		filename = ${dir}/coa-seen.log
		format = "%{Acct-Session-Id}"
	}
}
listen {
	type = coa
	ipaddr = 127.0.0.1
	port = ${port}
	virtual_server = coa
}
server coa {
	recv-coa {
		coa_seen
		update reply {
			&Message-Authenticator := 0x00
		}
		ok
	}
	send-coa {
		ok
	}
}
`
}

/** A running FreeRADIUS NAS. */
export interface FreeRadiusNas {
  port: number
  pid: number
  settings: NasSettings
  /** CoA-Requests FreeRADIUS logged through linelog so far (one line each). */
  coaSeen(): Promise<number>
  /** Lines FreeRADIUS printed about dropping requests ("too many", "Discarding", …). */
  drops(): string[]
  stop(): Promise<void>
}

/** Start FreeRADIUS (`binary`, Debian: /usr/sbin/freeradius) with a config in a new temp dir; on `fixedPort` if given (a restart). */
export async function startFreeRadiusNas(binary: string, settings: NasSettings, fixedPort?: number): Promise<FreeRadiusNas> {
  const dir = await mkdtemp(join(tmpdir(), 'rg-bench-recharge-nas-'))
  const unregisterDir = register({ name: 'freeradius dir', stop: () => rm(dir, { recursive: true, force: true }), stopNow: () => {} })
  await mkdir(join(dir, 'log'))
  await mkdir(join(dir, 'run'))
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = fixedPort ?? (await freeUdpPort())
    await writeFile(join(dir, 'radiusd.conf'), config(dir, port, settings))
    const child = startChild('freeradius', binary, ['-f', '-l', 'stdout', '-d', dir], process.env, 5_000)
    const deadline = Date.now() + 15_000
    while (!child.exited() && !child.output().includes('Ready to process requests') && Date.now() < deadline) {
      await new Promise((ok) => setTimeout(ok, 50))
    }
    if (child.output().includes('Ready to process requests')) {
      return {
        port,
        pid: child.pid,
        settings,
        async coaSeen() {
          const text = await readFile(join(dir, 'coa-seen.log'), 'utf8').catch(() => '')
          return text.split('\n').filter((l) => l !== '').length
        },
        drops: () => child.output().split('\n').filter((l) => /too many|Discarding|Dropping|Ignoring/i.test(l)),
        async stop() {
          await child.stop()
          await rm(dir, { recursive: true, force: true })
          unregisterDir()
        },
      }
    }
    await child.stop()
    if (!/Address already in use/.test(child.output())) throw new Error(`freeradius did not start:\n${child.output()}`)
  }
  throw new Error('freeradius found no free port')
}
