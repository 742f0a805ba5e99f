// A throw-away FreeRADIUS 3.2 server playing the NAS side of RFC 5176: a self-contained config in a
// temp dir (never /etc/freeradius), one `coa` listener on 127.0.0.1, answering
//   Acct-Session-Id "gone" → NAK with Error-Cause Session-Context-Not-Found (503),
//   Acct-Session-Id "busy" → NAK with Error-Cause Resources-Unavailable (506),
//   anything else           → ACK,
// with a Message-Authenticator in the reply unless Acct-Session-Id is "no-ma".
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './udp.ts'

function config(dir: string, port: number, secret: string): string {
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
cleanup_delay = 5
max_requests = 256
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
	start_servers = 1
	max_servers = 2
	min_spare_servers = 1
	max_spare_servers = 2
}
client loopback {
	ipaddr = 127.0.0.1
	secret = "${secret}"
}
modules {
	always reject {
		rcode = reject
	}
	always ok {
		rcode = ok
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
		if (&Acct-Session-Id != "no-ma") {
			update reply {
				&Message-Authenticator := 0x00
			}
		}
		if (&Acct-Session-Id == "gone") {
			update reply {
				&Error-Cause := Session-Context-Not-Found
			}
			reject
		}
		if (&Acct-Session-Id == "busy") {
			update reply {
				&Error-Cause := Resources-Unavailable
			}
			reject
		}
		ok
	}
	send-coa {
		ok
	}
}
`
}

/** A running FreeRADIUS and what it printed so far. */
export interface FreeRadius {
  readonly port: number
  output(): string
  stop(): Promise<void>
}

async function startOnce(binary: string, dir: string, secret: string): Promise<FreeRadius | undefined> {
  const port = await freePort()
  await writeFile(join(dir, 'radiusd.conf'), config(dir, port, secret))
  const child: ChildProcess = spawn(binary, ['-f', '-l', 'stdout', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 15_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('Ready to process requests')) {
        clearTimeout(timer)
        resolve(true)
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(false)
    })
  })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(killer)
    }
  }
  if (!ready) {
    await stop()
    if (!/Address already in use/.test(output)) throw new Error(`freeradius did not start:\n${output}`)
    return undefined
  }
  return { port, output: () => output, stop }
}

/**
 * Start FreeRADIUS from `binary` with a config written to a new temp dir; `stop()` ends the
 * process and removes the dir.
 */
export async function startFreeRadius(binary: string, secret: string): Promise<FreeRadius> {
  const dir = await mkdtemp(join(tmpdir(), 'radius-coa-peer-'))
  await mkdir(join(dir, 'log'))
  await mkdir(join(dir, 'run'))
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = await startOnce(binary, dir, secret)
      if (server) {
        return {
          ...server,
          stop: async () => {
            await server.stop()
            await rm(dir, { recursive: true, force: true })
          },
        }
      }
    }
    throw new Error('freeradius found no free port')
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}
