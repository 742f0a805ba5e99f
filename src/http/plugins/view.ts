// Eta views from templates/, cached in production. Eta escapes <%= %> output by default.
import { fileURLToPath } from 'node:url'
import view from '@fastify/view'
import { Eta } from 'eta'
import type { FastifyInstance } from 'fastify'

/** The repository's templates folder. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../../templates', import.meta.url))

// Names come from our own code (a page and its layout): a few dozen at most.
const RESOLVED_MAX = 1000

/**
 * The Eta engine over templates/. Eta resolves a template's name to its file on every render (a
 * JSON key, path joins and a containment check, twice per page with the layout): the answer only
 * depends on the name and the including file, so it is worked out once each.
 */
export function createViewEngine(): Eta {
  const eta = new Eta({ views: TEMPLATES_DIR, cache: true, autoEscape: true })
  const resolve = eta.resolvePath!.bind(eta)
  const resolved = new Map<string, string>()
  eta.resolvePath = (template, options) => {
    const key = `${options?.filepath ?? ''}\u0000${template}`
    let path = resolved.get(key)
    if (path === undefined) {
      // A name outside the views folder throws here, every time (never remembered).
      path = resolve(template, options)
      if (resolved.size < RESOLVED_MAX) resolved.set(key, path)
    }
    return path
  }
  return eta
}

/** Register @fastify/view with Eta over templates/. */
export async function registerViews(app: FastifyInstance): Promise<void> {
  await app.register(view, { engine: { eta: createViewEngine() }, templates: TEMPLATES_DIR, production: true })
}
