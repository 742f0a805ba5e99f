// Who may do what. Every console page and admin API route declares one permission in its route
// options (`config: { permission: 'support:read' }`, or `'public'` for the few pages a signed-out
// visitor may open, such as the login form); a route under /console or /api/v1 that declares none
// is refused when the app is built.

/** The staff roles stored in staff_users.role. */
export const ROLES = ['admin', 'operator', 'support'] as const
export type Role = (typeof ROLES)[number]

/** Every permission a route can ask for. */
export const PERMISSIONS = [
  'account:self', // one's own account: second factor (every role)
  'support:read', // search attempts, read timelines and session history
  'support:act', // retry lift, force Disconnect, mark refunded (each with a reason)
  'msisdn:full', // see phone numbers unmasked
  'nas:read',
  'nas:write', // add/change/remove NAS clients, send a test CoA
  'settings:read', // portal texts, amounts, payment methods, proxies, allowlist, RFC 8910 URI, YAML export
  'settings:write', // change settings, YAML import
  'vouchers:write', // import voucher batches
  'audit:read', // search and export the audit log
  'staff:admin', // staff accounts and API tokens
] as const
export type Permission = (typeof PERMISSIONS)[number]

/** What a route declares: a permission, or 'public' for pages open without signing in. */
export type RouteAccess = Permission | 'public'

const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  operator: ['account:self', 'support:read', 'nas:read', 'nas:write', 'settings:read', 'settings:write', 'vouchers:write', 'audit:read'],
  support: ['account:self', 'support:read', 'support:act'],
}

/** Whether a role holds a permission. */
export function roleAllows(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission)
}

/** The permissions a role holds (for showing only the menu entries a user can use). */
export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role]
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission this route needs (console and admin API routes must declare one). */
    permission?: RouteAccess
  }
}
