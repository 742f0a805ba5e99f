// One key per purpose, derived from the master secret, so a leaked key of one kind (say a
// voucher PIN hash key) never forges another (a redirect token).
// Each is a KeyObject made once: createHmac prepares a raw Buffer key on every call, which cost
// a third of the catch-all redirect's CPU.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'

/** A key for createHmac. */
export type HmacKey = KeyObject | Buffer

/** The HMAC keys the gateway uses, one per purpose. */
export interface Keys {
  readonly voucherPin: HmacKey
  readonly redirectToken: HmacKey
  readonly formToken: HmacKey
  readonly continueUrl: HmacKey
  /** AES-256-GCM key sealing staff TOTP secrets at rest (staff/totp-secret-box.ts). */
  readonly staffTotp: KeyObject
}

/** Derive every purpose key from the master secret. */
export function deriveKeys(master: string): Keys {
  const derive = (purpose: string) => createSecretKey(createHmac('sha256', master).update(`recharge-gateway:${purpose}`).digest())
  return Object.freeze({
    voucherPin: derive('voucher-pin'),
    redirectToken: derive('redirect-token'),
    formToken: derive('form-token'),
    continueUrl: derive('continue-url'),
    staffTotp: derive('staff-totp'),
  })
}
