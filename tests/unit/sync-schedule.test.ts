import { describe, expect, it, vi } from 'vitest'
import { EndpointError, NetworkError } from '@/sync/client'
import { backoffDelay, MAX_BACKOFF_MS, MIN_BACKOFF_MS, PERIOD_MS, SyncScheduler, type SchedulerEnvironment } from '@/sync/schedule'

function fakeEnvironment(overrides: Partial<SchedulerEnvironment> = {}) {
  const timers: { ms: number; callback: () => void }[] = []
  const env: SchedulerEnvironment = {
    isOnline: () => true,
    isVisible: () => true,
    random: () => 1,
    setTimeout: (callback, ms) => {
      const timer = { ms, callback }
      timers.push(timer)
      return timer
    },
    clearTimeout: (handle) => {
      const index = timers.indexOf(handle as (typeof timers)[number])
      if (index >= 0) timers.splice(index, 1)
    },
    withLock: async (work) => {
      await work()
      return true
    },
    ...overrides,
  }
  return { env, timers }
}

describe('back-off', () => {
  it('grows exponentially from 1 s to a cap of 5 minutes, with full jitter', () => {
    expect(backoffDelay(1, () => 1)).toBe(MIN_BACKOFF_MS)
    expect(backoffDelay(3, () => 1)).toBe(4 * MIN_BACKOFF_MS)
    expect(backoffDelay(30, () => 1)).toBe(MAX_BACKOFF_MS)
    expect(backoffDelay(30, () => 0.5)).toBe(MAX_BACKOFF_MS / 2)
    expect(backoffDelay(30, () => 0)).toBe(MIN_BACKOFF_MS)
  })
})

describe('the sync scheduler', () => {
  it('syncs at once and then every minute while visible', async () => {
    const { env, timers } = fakeEnvironment()
    const run = vi.fn(() => Promise.resolve())
    const scheduler = new SyncScheduler(run, env)
    scheduler.request('start')
    await scheduler.idle()
    expect(run).toHaveBeenCalledWith('start')
    expect(timers.map((t) => t.ms)).toEqual([PERIOD_MS])
  })

  it('does not try while offline', async () => {
    const { env } = fakeEnvironment({ isOnline: () => false })
    const run = vi.fn(() => Promise.resolve())
    const scheduler = new SyncScheduler(run, env)
    scheduler.request('start')
    await scheduler.idle()
    expect(run).not.toHaveBeenCalled()
  })

  it('coalesces requests made during a sync into one more sync', async () => {
    const { env } = fakeEnvironment()
    let release: () => void = () => undefined
    const run = vi.fn(() => new Promise<void>((resolve) => (release = resolve)))
    const scheduler = new SyncScheduler(run, env)
    scheduler.request('start')
    scheduler.request('localWrite')
    scheduler.request('online')
    release()
    await vi.waitFor(() => expect(run).toHaveBeenCalledTimes(2))
    release()
    await scheduler.idle()
    expect(run).toHaveBeenCalledTimes(2)
  })

  it('backs off after a network failure and honours Retry-After beyond the cap', async () => {
    const { env, timers } = fakeEnvironment({ random: () => 1 })
    const run = vi
      .fn<() => Promise<void>>()
      .mockRejectedValueOnce(new NetworkError())
      .mockRejectedValueOnce(new NetworkError())
      .mockRejectedValueOnce(new EndpointError(429, 'too_many_requests', 600))
    const scheduler = new SyncScheduler(run, env)
    scheduler.request('start')
    await scheduler.idle()
    expect(timers.at(-1)?.ms).toBe(MIN_BACKOFF_MS)
    timers.at(-1)?.callback()
    await scheduler.idle()
    expect(timers.at(-1)?.ms).toBe(2 * MIN_BACKOFF_MS)
    timers.at(-1)?.callback()
    await scheduler.idle()
    expect(timers.at(-1)?.ms).toBe(600_000)
  })

  it('does not retry on a timer what will not get better by waiting', async () => {
    const { env, timers } = fakeEnvironment()
    const onError = vi.fn()
    const scheduler = new SyncScheduler(() => Promise.reject(new EndpointError(401, 'device_revoked', undefined)), env, onError)
    scheduler.request('start')
    await scheduler.idle()
    expect(onError).toHaveBeenCalledOnce()
    expect(timers).toEqual([])
  })

  it('leaves the sync to another tab that holds the lock, and looks again soon', async () => {
    const { env, timers } = fakeEnvironment({ withLock: () => Promise.resolve(false) })
    const run = vi.fn(() => Promise.resolve())
    const scheduler = new SyncScheduler(run, env)
    scheduler.request('start')
    await scheduler.idle()
    expect(run).not.toHaveBeenCalled()
    expect(timers).toHaveLength(1)
  })
})
