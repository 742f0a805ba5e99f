// The life of a recharge attempt. Money moves forward only: created → paying → paid → credited,
// then the network part: lifting → lifted → confirmed. Declined, failed, refunded and expired end
// it. Every change of state is checked here and recorded in the attempt's timeline.
import type { AttemptState } from '../db/schema.ts'

const NEXT: Record<AttemptState, readonly AttemptState[]> = {
  created: ['paying', 'paid', 'declined', 'failed', 'expired'],
  paying: ['paid', 'declined', 'failed', 'expired'],
  paid: ['credited', 'failed', 'refunded'],
  credited: ['lifting', 'lifted', 'refunded'],
  lifting: ['lifted', 'failed', 'lifting', 'refunded'],
  lifted: ['confirmed', 'lifting', 'refunded'],
  confirmed: ['lifting', 'refunded'],
  declined: [],
  failed: ['lifting', 'refunded'],
  refunded: [],
  expired: [],
}

/** Whether an attempt may move from `from` to `to`. */
export function canMove(from: AttemptState, to: AttemptState): boolean {
  return NEXT[from].includes(to)
}

/** States in which the subscriber's status page keeps refreshing. */
export const IN_PROGRESS: readonly AttemptState[] = ['created', 'paying', 'paid', 'lifting']

/** Thrown when code asks for a transition the state machine forbids (a bug, never user input). */
export class InvalidTransitionError extends Error {
  constructor(from: AttemptState, to: AttemptState) {
    super(`attempt cannot move from ${from} to ${to}`)
    this.name = 'InvalidTransitionError'
  }
}
