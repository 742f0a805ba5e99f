// The soak's hands on its own throwaway PostgreSQL cluster (started by bench/recharge's
// startPostgres through shared/peers/lib/pg-throwaway.sh): restart it on the same data directory
// with the options pg-throwaway.sh started it with, and terminate every other backend of the
// soak's database. Only ever touches the /tmp/pg-throwaway.* directory named in the URL.
import { existsSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { run } from '../../recharge/lib/processes.ts'

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** Where the cluster of `url` lives (postgresql://postgres@/db?host=DIR&port=PORT). */
export function clusterOf(url: string): { dir: string; port: number } {
  // Not new URL(): the host part is empty (unix socket), which WHATWG URLs refuse.
  const query = new URLSearchParams(url.slice(url.indexOf('?') + 1))
  const dir = query.get('host') ?? ''
  const port = Number(query.get('port'))
  if (!/^\/tmp\/pg-throwaway\.[A-Za-z0-9]{6}$/.test(dir) || !Number.isInteger(port)) throw new Error(`not a throwaway cluster URL: ${url}`)
  return { dir, port }
}

// pg_ctl refuses to run as root: pg-throwaway.sh runs it as postgres, so do we.
function pgCtl(args: string[]) {
  const asPostgres = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, ...args]] as const : [`${PG_BIN}/pg_ctl`, args] as const
  return run(asPostgres[0], [...asPostgres[1]])
}

/** `pg_ctl stop -m fast`: open transactions are rolled back, committed data stays. */
export async function stopCluster(url: string): Promise<void> {
  const { dir } = clusterOf(url)
  const result = await pgCtl(['-D', `${dir}/data`, '-m', 'fast', '-w', '-t', '60', 'stop'])
  if (result.code !== 0) throw new Error(`pg_ctl stop failed: ${result.stderr || result.stdout}`)
}

/** Start it again on the same data directory, socket and port. */
export async function startCluster(url: string): Promise<void> {
  const { dir, port } = clusterOf(url)
  const options = `-p ${port} -k ${dir} -c listen_addresses= -c max_connections=200`
  const result = await pgCtl(['-D', `${dir}/data`, '-l', `${dir}/server.log`, '-w', '-t', '60', '-o', options, 'start'])
  if (result.code !== 0) throw new Error(`pg_ctl start failed: ${result.stderr || result.stdout}`)
}

/** Whether the postmaster of the cluster is running. */
export async function clusterRunning(url: string): Promise<boolean> {
  const { dir } = clusterOf(url)
  return (await pgCtl(['-D', `${dir}/data`, 'status'])).code === 0
}

/** Lines of the server log that say a PostgreSQL process died on its own (crash, PANIC). */
export function serverCrashes(url: string): string[] {
  const log = `${clusterOf(url).dir}/server.log`
  if (!existsSync(log)) return []
  return readFileSync(log, 'utf8').split('\n').filter((l) => /terminated by signal|PANIC:|was terminated by exception/.test(l))
}

/** pg_terminate_backend on every other backend of the soak's database; returns how many. */
export async function terminateBackends(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const result = await client.query<{ n: string }>(
      `select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    )
    return Number(result.rows[0]?.n ?? 0)
  } finally {
    await client.end()
  }
}
