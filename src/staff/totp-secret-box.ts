// TOTP secrets are sealed at rest with AES-256-GCM under a key derived from the instance's master
// secret: a copy of the database alone does not hand out anyone's second factor. The staff user's
// id is bound in as associated data, so a sealed secret copied to another user does not open.
import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from 'node:crypto'

const VERSION = 'v1'

/** Seal `secret` (base32) for staff user `staffId`. */
export function sealTotpSecret(key: KeyObject, staffId: number, secret: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(`staff:${staffId}`))
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()])
  return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`
}

/** Open a sealed secret of `staffId`; undefined when it was not sealed by this key for this user. */
export function openTotpSecret(key: KeyObject, staffId: number, stored: string): string | undefined {
  const [version, body] = stored.split('.')
  if (version !== VERSION || body === undefined) return undefined
  const bytes = Buffer.from(body, 'base64url')
  if (bytes.length < 29) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12))
    decipher.setAAD(Buffer.from(`staff:${staffId}`))
    decipher.setAuthTag(bytes.subarray(12, 28))
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')
  } catch {
    return undefined
  }
}
