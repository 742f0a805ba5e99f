// GET /console: the console's start page (the menu of what the signed-in role may use).
import type { FastifyInstance } from 'fastify'
import { renderConsole } from '../staff/console-page.ts'

/** Register GET /console. */
export function homeRoutes(area: FastifyInstance): void {
  area.get('/console', { config: { permission: 'public' } }, async (request, reply) => {
    if (request.staff === null) return reply.code(303).header('location', '/console/login').send()
    return renderConsole(request, reply, 'home.eta', { title: 'Console' })
  })
}
