// The recharge core's ports: what it needs from the outside world, named for what the domain
// needs. Adapters implement them (adapters/); the core imports no driver or framework.

/** Why a line is suspended; only arrears can be cured by a recharge. */
export type SuspensionReason = 'arrears' | 'fraud' | 'administrative' | 'other'

/** A prepaid account as billing reports it. */
export interface Account {
  msisdn: string
  balanceMinor: number
  currency: string
  status: 'active' | 'suspended'
  suspensionReason: SuspensionReason | null
  /** The balance at which an arrears suspension is lifted. */
  restoreThresholdMinor: number
}

/** The billing side (built-in ledger or the carrier's OCS). */
export interface BillingPort {
  /** The account of `msisdn`, or null when billing does not know the line. */
  getAccount(msisdn: string): Promise<Account | null>
}

/** Whether a recharge can restore the line, and how much it must at least be. */
export function restoreNeed(account: Account): { restorable: boolean; neededMinor: number } {
  if (account.status !== 'suspended' || account.suspensionReason !== 'arrears') return { restorable: false, neededMinor: 0 }
  return { restorable: true, neededMinor: Math.max(0, account.restoreThresholdMinor - account.balanceMinor) }
}

/** The network session to restore: where the line is attached now. */
export interface RestoreTarget {
  msisdn: string
  nasId: number
  acctSessionId: string
  framedIp: string | null
}

/** What restoring service did, in the network's terms. */
export type RestoreOutcome =
  | { kind: 'restored'; how: 'coa' | 'disconnect' | 'none' | 'session-gone' }
  | { kind: 'retry-later'; reason: string }
  | { kind: 'failed'; reason: string }

/** What a forced Disconnect did. */
export type DisconnectOutcome = { kind: 'disconnected'; how: 'ack' | 'session-gone' } | { kind: 'failed'; reason: string }

/** The network side: lifts a suspension on the NAS (CoA/Disconnect) or does nothing when the OCS does it. */
export interface NetworkPort {
  /** Restore service for `target`; `exchanges` are recorded on the attempt's timeline as they are. */
  restoreService(target: RestoreTarget): Promise<{ outcome: RestoreOutcome; exchanges: unknown[] }>
  /** End `target`'s session now whatever the NAS's lift profile (support's "force Disconnect"). */
  disconnect(target: RestoreTarget): Promise<{ outcome: DisconnectOutcome; exchanges: unknown[] }>
}
