// Baseline for the portal load: bare Fastify (the version the gateway uses, logger off) answering
// every GET with one fixed HTML page — a copy of a real portal page captured from the gateway in
// the same run, so the bytes on the wire match. No identification, no database, no templating.
//
//   node static-page-server.ts PORT PAGE_FILE      (binds 127.0.0.1)
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

const port = Number(process.argv[2])
const file = process.argv[3]
if (!Number.isInteger(port) || port <= 0 || file === undefined) {
  process.stderr.write('usage: node static-page-server.ts PORT PAGE_FILE\n')
  process.exit(2)
}
const page = readFileSync(file)
const app = Fastify({ logger: false })
app.get('/*', (_request, reply) => {
  reply.header('cache-control', 'private, no-store').type('text/html; charset=utf-8').send(page)
})
await app.listen({ port, host: '127.0.0.1' })
process.stderr.write(`static page (${page.length} B) on 127.0.0.1:${port}\n`)
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0), () => process.exit(1))
})
