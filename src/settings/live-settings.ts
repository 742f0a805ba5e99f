// The settings in force: the environment's defaults (loadConfig) with the operator's stored
// settings laid over them. Built once per revision; request handlers read the current one.
import type { IdentificationConfig } from '../config/load-config.ts'
import type { PortalConfig } from '../config/portal-config.ts'
import { CAPTIVE_API_PATH } from '../http/routes/captive-api.ts'
import type { StoredSettings } from './settings-schema.ts'

/** What the environment says (the parts of Config that settings can override). */
export interface SettingsBase {
  readonly identification: IdentificationConfig
  readonly portal: PortalConfig
}

/** The settings in force on this instance. */
export interface LiveSettings {
  /** The database revision these were read at (0 when no database is involved). */
  readonly revision: number
  /** What the database holds (each key overrides the environment). */
  readonly stored: Readonly<StoredSettings>
  readonly identification: IdentificationConfig
  readonly portal: PortalConfig
  /** The RFC 8908 API URL to advertise with RFC 8910. */
  readonly captiveApiUrl: string
}

/** Lay `stored` over `base`. */
export function resolveSettings(base: SettingsBase, stored: StoredSettings, revision: number): LiveSettings {
  const p = base.portal
  const portal: PortalConfig = Object.freeze({
    ...p,
    currency: stored.currency ?? p.currency,
    amountsMinor: stored.amounts?.map((a) => Math.round(Number(a) * 100)) ?? p.amountsMinor,
    paymentMethods: stored.paymentMethods ?? p.paymentMethods,
    offline: Object.freeze({
      ussd: stored.ussd ?? p.offline.ussd,
      smsNumber: stored.smsNumber ?? p.offline.smsNumber,
      smsText: stored.smsText ?? p.offline.smsText,
      hotline: stored.hotline ?? p.offline.hotline,
    }),
    texts: Object.freeze({ ...p.texts, ...stored.texts }),
  })
  const identification: IdentificationConfig = Object.freeze({
    ...base.identification,
    trustedProxies: stored.trustedProxies ?? base.identification.trustedProxies,
    enrichmentHeaders: stored.enrichmentHeaders ?? base.identification.enrichmentHeaders,
  })
  return Object.freeze({
    revision,
    stored: Object.freeze({ ...stored }),
    identification,
    portal,
    captiveApiUrl: stored.captiveApiUrl ?? `${p.url}${CAPTIVE_API_PATH}`,
  })
}
