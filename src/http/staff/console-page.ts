// Renders a console page inside templates/console/layout.eta: the navigation shows only the
// entries the signed-in role may use, and every form gets the session's CSRF token as `it.csrf`.
// To add a page to the menu, add it to NAV (the route itself must declare the same permission).
import type { FastifyReply, FastifyRequest } from 'fastify'
import { maskMsisdn } from '../../logging/mask-msisdn.ts'
import { type Permission, roleAllows } from '../../staff/permissions.ts'
import { CSRF_FIELD } from './staff-auth.ts'

/** One menu entry. */
export interface NavEntry {
  href: string
  label: string
  permission: Permission
}

/** The console menu, in display order. */
export const NAV: readonly NavEntry[] = [
  { href: '/console/attempts', label: 'Attempts', permission: 'support:read' },
  { href: '/console/lines', label: 'Lines', permission: 'support:read' },
  { href: '/console/nas', label: 'NAS clients', permission: 'nas:read' },
  { href: '/console/settings', label: 'Settings', permission: 'settings:read' },
  { href: '/console/allowlist', label: 'Allowlist', permission: 'settings:read' },
  { href: '/console/config', label: 'Config file', permission: 'settings:read' },
  { href: '/console/audit', label: 'Audit log', permission: 'audit:read' },
  { href: '/console/staff', label: 'Staff', permission: 'staff:admin' },
  { href: '/console/tokens', label: 'API tokens', permission: 'staff:admin' },
]

/** The menu for `request`'s signed-in staff member (empty when signed out). */
export function navFor(request: FastifyRequest): { href: string; label: string; current: boolean }[] {
  const staff = request.staff
  if (staff === null) return []
  const path = request.url.split('?')[0]!
  return NAV.filter((e) => roleAllows(staff.role, e.permission)).map((e) => ({ href: e.href, label: e.label, current: path === e.href || path.startsWith(`${e.href}/`) }))
}

/** A phone number as `request`'s role may see it: whole with 'msisdn:full', masked otherwise. */
export function shownMsisdn(request: FastifyRequest, msisdn: string): string {
  return request.staff !== null && roleAllows(request.staff.role, 'msisdn:full') ? msisdn : maskMsisdn(msisdn)
}

/** Render `template` (under templates/console/) with `data`, the menu, the user and the CSRF token. */
export function renderConsole(request: FastifyRequest, reply: FastifyReply, template: string, data: Record<string, unknown>): Promise<string> {
  reply.type('text/html; charset=utf-8')
  return reply.viewAsync(`console/${template}`, {
    ...data,
    staff: request.staff,
    nav: navFor(request),
    csrfField: CSRF_FIELD,
    csrf: request.staffSession?.csrfToken ?? '',
  })
}
