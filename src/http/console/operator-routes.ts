// The operator's part of the staff area: NAS clients, settings, the allowlist and the YAML file,
// as console pages and /api/v1 routes (registered by http/staff/staff-area.ts).
import type { FastifyInstance } from 'fastify'
import { nasApiRoutes } from '../api/nas.ts'
import { settingsApiRoutes } from '../api/settings.ts'
import { configConsoleRoutes } from './config.ts'
import { nasConsoleRoutes } from './nas.ts'
import type { OperatorDeps } from './operator-deps.ts'
import { settingsConsoleRoutes } from './settings.ts'

/** Register every operator page and API route. */
export function operatorRoutes(area: FastifyInstance, deps: OperatorDeps): void {
  nasConsoleRoutes(area, deps)
  settingsConsoleRoutes(area, deps)
  configConsoleRoutes(area, deps)
  nasApiRoutes(area, deps)
  settingsApiRoutes(area, deps)
}
