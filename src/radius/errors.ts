// Outcomes of checking a received RADIUS packet: the "silently discard" cases of RFC 2865 §3,
// RFC 2866 §3, RFC 3579 §3.2 and RFC 5176 §3.3. A dropped packet is an expected event, so it is a
// value, not an exception; the reason strings are stable because they are metric labels.
import { AppError } from '../errors.ts'

/** Every reason a received packet can be dropped for; stable, usable as a metric label. */
export const DROP_REASONS = [
  'malformed',
  'unsupported_code',
  'bad_authenticator',
  'bad_message_authenticator',
  'missing_message_authenticator',
  'unmatched_response',
] as const

/** Why a received packet was dropped. */
export type DropReason = (typeof DROP_REASONS)[number]

/** A dropped packet: `reason` for metrics, `detail` (free text, no secrets) for the log. */
export interface Dropped {
  readonly ok: false
  readonly reason: DropReason
  readonly detail: string
}

/** The result of checking a received packet: the packet, or why it was dropped. */
export type CheckResult<T> = { readonly ok: true; readonly packet: T } | Dropped

/** Build a drop result. */
export function dropped(reason: DropReason, detail: string): Dropped {
  return { ok: false, reason, detail }
}

/**
 * Thrown when our own side asks to build an impossible packet (unknown attribute name, value of
 * the wrong type, packet over 4096 bytes). It is a configuration or programming error, never a
 * reaction to received bytes.
 */
export class RadiusEncodeError extends AppError {
  constructor(message: string) {
    super('RADIUS.ENCODE', 500, message)
    this.name = 'RadiusEncodeError'
  }
}
