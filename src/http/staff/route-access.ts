// Every console page and admin API route must say who may use it. This hook runs for every route
// as it is added: one under /console or /api/v1 without `config.permission` (or an API route
// without a response schema, which the OpenAPI document is generated from) stops the app from
// being built. The declared routes are kept so a test can walk them all.
import type { FastifyInstance, RouteOptions } from 'fastify'
import { PERMISSIONS, type RouteAccess } from '../../staff/permissions.ts'

/** A route under /console or /api/v1 and what it declared. */
export interface DeclaredRoute {
  method: string
  url: string
  permission: RouteAccess
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The console and admin API routes registered so far, with their permissions. */
    staffRoutes: readonly DeclaredRoute[]
  }
}

/** Whether `url` belongs to the staff console or the admin API. */
export function isStaffUrl(url: string): boolean {
  return url === '/console' || url.startsWith('/console/') || url === '/api/v1' || url.startsWith('/api/v1/')
}

const ACCESS = new Set<string>([...PERMISSIONS, 'public'])

/** Refuse undeclared staff routes (install on the root instance before any route). */
export function registerRouteAccessCheck(app: FastifyInstance): void {
  const routes: DeclaredRoute[] = []
  app.decorate('staffRoutes', routes)
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!isStaffUrl(route.url)) return
    const methods = ([] as string[]).concat(route.method)
    const permission = route.config?.permission
    if (permission === undefined || !ACCESS.has(permission)) {
      throw new Error(`${methods.join(',')} ${route.url} declares no valid permission (config.permission: one of ${[...ACCESS].join(', ')})`)
    }
    if (route.url.startsWith('/api/v1') && route.schema?.response === undefined && !methods.every((m) => m === 'HEAD')) {
      throw new Error(`${methods.join(',')} ${route.url} has no response schema (the OpenAPI document is generated from it)`)
    }
    for (const method of methods) routes.push({ method, url: route.url, permission })
  })
}
