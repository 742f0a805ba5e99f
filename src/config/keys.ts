// One key per purpose, derived from the master secret, so a leaked key of one kind (say a
// voucher PIN hash key) never forges another (a redirect token).
import { createHmac } from 'node:crypto'

/** The HMAC keys the gateway uses, one per purpose. */
export interface Keys {
  readonly voucherPin: Buffer
  readonly redirectToken: Buffer
  readonly formToken: Buffer
  readonly continueUrl: Buffer
}

/** Derive every purpose key from the master secret. */
export function deriveKeys(master: string): Keys {
  const derive = (purpose: string) => createHmac('sha256', master).update(`recharge-gateway:${purpose}`).digest()
  return Object.freeze({
    voucherPin: derive('voucher-pin'),
    redirectToken: derive('redirect-token'),
    formToken: derive('form-token'),
    continueUrl: derive('continue-url'),
  })
}
