// /healthz: the process answers. /readyz: the database answers and has every migration, and the
// instance is not draining; load balancers stop sending work when it says 503.
import type { FastifyInstance } from 'fastify'
import type { Readiness } from '../../health/readiness.ts'

/** Register /healthz and /readyz. */
export function healthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    return { status: 'ok' }
  })

  app.get('/readyz', async (_request, reply) => {
    const report = await readiness.check()
    reply.header('cache-control', 'no-store').code(report.ready ? 200 : 503)
    return { status: report.ready ? 'ready' : 'not ready', checks: report.checks }
  })
}
