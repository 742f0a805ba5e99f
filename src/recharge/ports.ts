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
