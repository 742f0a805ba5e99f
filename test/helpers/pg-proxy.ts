// A TCP proxy in front of the test's PostgreSQL server that a test can cut and restore: the
// database "goes down" for the gateway (connections reset, new ones refused) and comes back,
// while the server itself keeps running.
import { connect, createServer, type Server, type Socket } from 'node:net'

/** A cuttable proxy. */
export interface PgProxy {
  port: number
  /** `url` rewritten to go through the proxy. */
  url: string
  cut(): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

function target(url: string): { path: string } | { host: string; port: number } {
  const query = new URLSearchParams(url.split('?')[1] ?? '')
  const host = query.get('host')
  const port = Number(query.get('port') ?? /:(\d+)\//.exec(url)?.[1] ?? 5432)
  if (host?.startsWith('/')) return { path: `${host}/.s.PGSQL.${port}` }
  const tcpHost = /@([^:/?]+)/.exec(url)?.[1] ?? '127.0.0.1'
  return { host: tcpHost, port }
}

/** Start a proxy to the server behind `url` (a postgresql:// URL naming a database). */
export async function startPgProxy(url: string): Promise<PgProxy> {
  const to = target(url)
  const database = /\/([^/?]+)(\?|$)/.exec(url.replace(/^postgres(ql)?:\/\/[^/]*/, ''))?.[1]
  const user = /^postgres(?:ql)?:\/\/([^:@/]+)(?::[^@]*)?@/.exec(url)?.[1] ?? 'postgres'
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0

  async function listen(): Promise<void> {
    server = createServer((client) => {
      const upstream = 'path' in to ? connect(to.path) : connect(to.port, to.host)
      for (const [s, other] of [[client, upstream], [upstream, client]] as const) {
        sockets.add(s)
        // As a real proxy does: one side gone (FIN or reset), the other is closed too; a pipe alone
        // does not end its destination when the source errors, which left the gateway's end open forever.
        s.on('close', () => {
          sockets.delete(s)
          other.destroy()
        })
        s.on('error', () => {})
      }
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', () => resolve()))
    port = (server!.address() as { port: number }).port
  }

  async function cut(): Promise<void> {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    server = undefined
  }

  await listen()
  return {
    port,
    url: `postgresql://${user}@127.0.0.1:${port}/${database}`,
    cut,
    restore: listen,
    close: cut,
  }
}
