// The staff console (/console) and the admin API (/api/v1) in one encapsulated plugin: cookie
// parsing, authentication, the permission and CSRF checks and the OpenAPI generator exist only
// here, so the portal and the walled garden's catch-all never run any of it. To add pages or API
// routes, write a `xRoutes(area, deps)` function and call it below (docs/readme/staff.md).
import type { KeyObject } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { NetworkPort } from '../../recharge/ports.ts'
import { auditApiRoutes } from '../api/audit.ts'
import { accountRoutes } from '../console/account.ts'
import { auditConsoleRoutes } from '../console/audit.ts'
import { homeRoutes } from '../console/home.ts'
import { supportConsoleRoutes } from '../console/support.ts'
import { tokenConsoleRoutes } from '../console/tokens.ts'
import { staffAccountRoutes } from '../console/staff-accounts.ts'
import { supportApiRoutes } from '../api/support.ts'
import { tokenApiRoutes } from '../api/tokens.ts'
import { loginRoutes } from '../console/login.ts'
import type { OperatorDeps } from '../console/operator-deps.ts'
import { operatorRoutes } from '../console/operator-routes.ts'
import { registerOpenApi } from './openapi.ts'
import { registerStaffAuth } from './staff-auth.ts'

/** What the console and the admin API need from the composition root. */
export interface StaffAreaDeps {
  db: Kysely<Database>
  /** Mark the session cookie Secure (the portal URL is https: TLS is terminated in front of us). */
  secureCookies: boolean
  /** The client's address through the trusted proxies (as identification sees it). */
  clientAddress: (request: FastifyRequest) => string
  /** Sends force-Disconnects for support; null when no network adapter runs (then the action says so). */
  network: NetworkPort | null
  /** Tell the job worker a job was queued (a retried lift). */
  nudgeJobs: () => void
  /** NAS clients, settings, allowlist and YAML (the operator pages and API). */
  operator: OperatorDeps
  /** Seals staff TOTP secrets at rest (Keys.staffTotp). */
  totpKey: KeyObject
}

/** Register the console and the admin API on `app`. */
export async function registerStaffArea(app: FastifyInstance, deps: StaffAreaDeps): Promise<void> {
  await app.register(async (area) => {
    const sessions = await registerStaffAuth(area, { db: deps.db, secureCookies: deps.secureCookies, clientAddress: deps.clientAddress })
    await registerOpenApi(area)
    homeRoutes(area)
    loginRoutes(area, { db: deps.db, sessions, totpKey: deps.totpKey })
    accountRoutes(area, { db: deps.db, sessions, totpKey: deps.totpKey })
    supportConsoleRoutes(area, { db: deps.db, network: deps.network, nudgeJobs: deps.nudgeJobs })
    auditConsoleRoutes(area, { db: deps.db })
    tokenConsoleRoutes(area, { db: deps.db })
    staffAccountRoutes(area, { db: deps.db })
    supportApiRoutes(area, { db: deps.db, network: deps.network, nudgeJobs: deps.nudgeJobs })
    auditApiRoutes(area, { db: deps.db })
    tokenApiRoutes(area, { db: deps.db })
    operatorRoutes(area, deps.operator)
  })
}
