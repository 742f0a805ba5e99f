// Staff passwords: Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane), stored
// as a PHC string so the parameters can be raised later without breaking old hashes.
import { argon2, randomBytes, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

const argon2Async = promisify(argon2)

/** OWASP Password Storage Cheat Sheet, Argon2id minimum configuration. */
export const ARGON2_PARAMS = { memory: 19456, passes: 2, parallelism: 1, tagLength: 32 } as const

/** Hash a password into `$argon2id$v=19$m=…,t=…,p=…$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const nonce = randomBytes(16)
  const tag = await argon2Async('argon2id', { message: password, nonce, ...ARGON2_PARAMS })
  const { memory: m, passes: t, parallelism: p } = ARGON2_PARAMS
  return `$argon2id$v=19$m=${m},t=${t},p=${p}$${nonce.toString('base64url')}$${tag.toString('base64url')}`
}

/** Whether `password` matches a hash made by hashPassword; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(stored)
  if (!match) return false
  const [, m, t, p, salt, hash] = match
  const expected = Buffer.from(hash!, 'base64url')
  const memory = Number(m)
  const passes = Number(t)
  const parallelism = Number(p)
  if (memory > 1 << 20 || passes > 16 || parallelism > 16 || expected.length < 16) return false
  const tag = await argon2Async('argon2id', {
    message: password,
    nonce: Buffer.from(salt!, 'base64url'),
    memory,
    passes,
    parallelism,
    tagLength: expected.length,
  })
  return timingSafeEqual(tag, expected)
}
