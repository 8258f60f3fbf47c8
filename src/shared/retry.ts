/**
 * How the app retries the endpoint: its request timeout and its back-off after a failed sync.
 * Shared, so the load test's simulated devices (bench/load-devices.ts) behave exactly like it.
 */

/** How long the app waits for an answer before it counts the request as failed (and retries later). */
export const REQUEST_TIMEOUT_MS = 30_000
export const MIN_BACKOFF_MS = 1_000
export const MAX_BACKOFF_MS = 5 * 60_000

/** Full jitter: a random delay up to an exponentially growing cap, so devices don't retry in step. */
export function backoffDelay(failures: number, random: () => number): number {
  const cap = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** Math.max(0, failures - 1))
  return Math.max(MIN_BACKOFF_MS, Math.round(random() * cap))
}
