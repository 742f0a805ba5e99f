// The audit fields every staff action carries, taken from the request the plugin authenticated:
// spread `...auditContext(request)` into recordAudit's entry and add action/target/before/after/reason.
import type { FastifyRequest } from 'fastify'
import type { AuditActor, AuditEntry } from '../../audit/audit-log.ts'
import { appError, ERRORS } from '../../errors.ts'

/** The signed-in staff member (or token) as an audit actor; throws when nobody is signed in. */
export function auditActor(request: FastifyRequest): AuditActor {
  const staff = request.staff
  if (staff === null) throw appError(ERRORS.STAFF_UNAUTHENTICATED)
  return { name: staff.username, id: staff.id, via: staff.via }
}

/** Who, from where, in which request. */
export function auditContext(request: FastifyRequest): Pick<AuditEntry, 'actor' | 'sourceAddress' | 'requestId'> {
  return { actor: auditActor(request), sourceAddress: request.staffAddress, requestId: request.id }
}
