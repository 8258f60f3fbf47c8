/**
 * Per-device limit on sync calls: a device may always make `limit` calls in any `windowMs`
 * (600 in 60 s), the next one waits. Held in memory: a restart forgets it, which only lets devices
 * call a little more, and one endpoint process serves a municipality.
 */

export const SYNC_CALLS_PER_WINDOW = 600
export const SYNC_WINDOW_MS = 60_000

export type LimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number }

export class SlidingWindowLimiter {
  /** Per key, the times of its last `limit` allowed calls, oldest first. */
  private readonly calls = new Map<string, number[]>()
  private lastSweep = 0

  constructor(
    private readonly limit = SYNC_CALLS_PER_WINDOW,
    private readonly windowMs = SYNC_WINDOW_MS,
  ) {}

  /** Counts the call when allowed; refused calls are not counted, so waiting always helps. */
  check(key: string, now: number): LimitDecision {
    this.sweep(now)
    let times = this.calls.get(key)
    if (!times) {
      times = []
      this.calls.set(key, times)
    }
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift()
    if (times.length >= this.limit) {
      const retryAfterMs = times[0]! + this.windowMs - now
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) }
    }
    times.push(now)
    return { allowed: true }
  }

  /** Forgets devices that have been quiet for a whole window, so the map does not grow forever. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return
    this.lastSweep = now
    for (const [key, times] of this.calls) {
      const newest = times[times.length - 1]
      if (newest === undefined || newest <= now - this.windowMs) this.calls.delete(key)
    }
  }
}
