// Eta views from templates/, cached in production. Eta escapes <%= %> output by default.
import { fileURLToPath } from 'node:url'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyInstance } from 'fastify'

/** The repository's templates folder. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../../templates', import.meta.url))

/** Register @fastify/view with Eta over templates/. */
export async function registerViews(app: FastifyInstance): Promise<void> {
  const eta = new Eta({ views: TEMPLATES_DIR, cache: true, autoEscape: true })
  await app.register(view, { engine: { eta }, templates: TEMPLATES_DIR, production: true })
}
