// The hosted payment provider. On the embedded default the gateway starts its sandbox provider
// with demo credentials; with DATABASE_URL, card payments need a real provider configured.

/** Payment provider settings, or null when card payments are off. */
export interface PspSettings {
  /** Start the sandbox provider on this port (embedded default only); null with a real provider. */
  readonly sandboxPort: number | null
  readonly url: string
  readonly merchantId: string
  readonly apiKey: string
  readonly webhookSecret: string
  readonly timeoutMs: number
  /** Where the provider sends webhooks (defaults to PORTAL_URL/webhooks/psp). */
  readonly notifyUrl: string
}

type Env = Record<string, string | undefined>

/** Demo credentials of the sandbox provider. */
export const SANDBOX_MERCHANT = { merchantId: 'demo-merchant', apiKey: 'sandbox-api-key', webhookSecret: 'sandbox-webhook-secret' } as const

/** Read PSP_* settings; `embedded` selects the sandbox defaults. */
export function readPspConfig(env: Env, embedded: boolean, portalUrl: string, problems: string[]): PspSettings | null {
  const url = env.PSP_URL
  const notifyUrl = env.PSP_NOTIFY_URL ?? `${portalUrl}/webhooks/psp`
  const timeoutMs = Number(env.PSP_TIMEOUT_MS ?? 5000)
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 60_000) problems.push('PSP_TIMEOUT_MS: expected 100 to 60000')
  if (url === undefined || url === '') {
    if (!embedded) return null
    const sandboxPort = Number(env.PSP_SANDBOX_PORT ?? 8090)
    if (!Number.isInteger(sandboxPort) || sandboxPort < 0 || sandboxPort > 65535) problems.push('PSP_SANDBOX_PORT: expected a port number')
    return { sandboxPort, url: `http://127.0.0.1:${sandboxPort}`, ...SANDBOX_MERCHANT, timeoutMs, notifyUrl }
  }
  if (!/^https?:\/\/[^/]+$/.test(url.replace(/\/+$/, ''))) problems.push('PSP_URL: expected http(s)://host[:port]')
  const required = { merchantId: env.PSP_MERCHANT_ID, apiKey: env.PSP_API_KEY, webhookSecret: env.PSP_WEBHOOK_SECRET }
  for (const [name, value] of Object.entries({ PSP_MERCHANT_ID: required.merchantId, PSP_API_KEY: required.apiKey, PSP_WEBHOOK_SECRET: required.webhookSecret })) {
    if (value === undefined || value === '') problems.push(`${name}: required when PSP_URL is set`)
  }
  if (required.webhookSecret !== undefined && required.webhookSecret.length > 0 && required.webhookSecret.length < 16) {
    problems.push('PSP_WEBHOOK_SECRET: must be at least 16 characters')
  }
  return {
    sandboxPort: null,
    url: url.replace(/\/+$/, ''),
    merchantId: required.merchantId ?? '',
    apiKey: required.apiKey ?? '',
    webhookSecret: required.webhookSecret ?? '',
    timeoutMs,
    notifyUrl,
  }
}
