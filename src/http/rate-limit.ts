// A route's per-address rate limit (@fastify/rate-limit route config). Every limit remembers up to
// REMEMBERED_ADDRESSES addresses per window: the plugin's default keeps 5,000 per route, and past
// that many active subscribers the least recent lost their counts and were no longer limited.
// (The plugin-wide `cache` option does not reach per-route limits, so it is set on each.)

/** Addresses one route's limit remembers per window (an entry is a few dozen bytes). */
export const REMEMBERED_ADDRESSES = 100_000

/** `max` requests per `timeWindow` (ms or a duration such as '1 minute') per subscriber address. */
export function perAddressLimit(max: number, timeWindow: number | string): { max: number; timeWindow: number | string; cache: number } {
  return { max, timeWindow, cache: REMEMBERED_ADDRESSES }
}
