import { backoffDelay, MIN_BACKOFF_MS } from '@/shared/retry'
import { EndpointError, NetworkError } from './client'

export { backoffDelay, MAX_BACKOFF_MS, MIN_BACKOFF_MS } from '@/shared/retry'

export const LOCAL_WRITE_DELAY_MS = 2_000
export const PERIOD_MS = 60_000
const LOCK_NAME = 'lotse-sync'

export type SyncTrigger = 'start' | 'online' | 'visible' | 'localWrite' | 'timer' | 'retry' | 'manual'

export interface SchedulerEnvironment {
  isOnline(): boolean
  isVisible(): boolean
  random(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  /** Runs `work` unless another tab holds the sync lock; resolves `false` when it was skipped. */
  withLock(work: () => Promise<void>): Promise<boolean>
}


/** Errors after which retrying on a timer makes sense (the network or the endpoint may recover). */
export function isTransient(error: unknown): boolean {
  if (error instanceof NetworkError) return true
  return error instanceof EndpointError && (error.status === 429 || error.status >= 500 || error.status === 408)
}

/**
 * Decides when to sync: on start, when the network or the page comes back, shortly after a local
 * write, and every minute while visible and online; after a failure it waits with back-off and
 * honours `Retry-After`. Only one sync runs at a time, across tabs too.
 */
export class SyncScheduler {
  private timer: unknown
  private running: Promise<void> | undefined
  private again = false
  private failures = 0
  private stopped = false

  constructor(
    private readonly run: (trigger: SyncTrigger) => Promise<void>,
    private readonly env: SchedulerEnvironment,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Asks for a sync now (or after `delayMs`); requests while one runs coalesce into one more. */
  request(trigger: SyncTrigger, delayMs = 0): void {
    if (this.stopped) return
    if (delayMs > 0) {
      this.schedule(delayMs, trigger)
      return
    }
    if (!this.env.isOnline()) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.attempt(trigger).finally(() => {
      this.running = undefined
      if (this.again && !this.stopped) {
        this.again = false
        this.request('retry')
      }
    })
  }

  /** Resolves when the sync that is running now (if any) has finished. */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  stop(): void {
    this.stopped = true
    this.env.clearTimeout(this.timer)
  }

  private schedule(ms: number, trigger: SyncTrigger): void {
    this.env.clearTimeout(this.timer)
    this.timer = this.env.setTimeout(() => this.request(trigger), ms)
  }

  private async attempt(trigger: SyncTrigger): Promise<void> {
    try {
      const ran = await this.env.withLock(() => this.run(trigger))
      this.failures = 0
      if (ran && this.env.isVisible()) this.schedule(PERIOD_MS, 'timer')
      else if (!ran) this.schedule(MIN_BACKOFF_MS * 5, 'retry')
    } catch (error) {
      this.onError(error)
      if (!isTransient(error)) return
      this.failures += 1
      const jitter = backoffDelay(this.failures, this.env.random)
      const retryAfter = error instanceof EndpointError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0
      this.schedule(Math.max(jitter, retryAfter), 'retry')
    }
  }
}

/** The browser's environment: Web Locks where available, else a lock within this tab only. */
export function browserEnvironment(): SchedulerEnvironment {
  let tabLock = false
  return {
    isOnline: () => navigator.onLine,
    isVisible: () => document.visibilityState === 'visible',
    random: Math.random,
    setTimeout: (callback, ms) => window.setTimeout(callback, ms),
    clearTimeout: (handle) => window.clearTimeout(handle as number),
    async withLock(work) {
      if (navigator.locks) {
        return navigator.locks.request(LOCK_NAME, { ifAvailable: true }, async (lock) => {
          if (!lock) return false
          await work()
          return true
        })
      }
      if (tabLock) return false
      tabLock = true
      try {
        await work()
        return true
      } finally {
        tabLock = false
      }
    },
  }
}
