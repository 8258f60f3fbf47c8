import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { nextTick, shallowRef } from 'vue'
import { useAppBadge } from '@/composables/useAppBadge'
import { withSetup } from './helpers'

const mounted: VueWrapper[] = []

function badgeApi() {
  return { setAppBadge: vi.fn(async (_count?: number) => undefined), clearAppBadge: vi.fn(async () => undefined) }
}

function host<T>(composable: () => T): T {
  const { result, wrapper } = withSetup(composable)
  mounted.push(wrapper)
  return result
}

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
  Reflect.deleteProperty(navigator, 'setAppBadge')
  Reflect.deleteProperty(navigator, 'clearAppBadge')
})

describe('useAppBadge', () => {
  it('follows a count: a number sets the badge, zero clears it', async () => {
    const api = badgeApi()
    const count = shallowRef<number | undefined>(3)
    const badge = host(() => useAppBadge(count, { navigator: api }))
    expect(badge.isSupported).toBe(true)
    await flushPromises()
    expect(api.setAppBadge).toHaveBeenLastCalledWith(3)

    count.value = 0
    await nextTick()
    expect(api.clearAppBadge).toHaveBeenCalledTimes(1)

    // Leaves the badge as it is.
    count.value = undefined
    await nextTick()
    expect(api.setAppBadge).toHaveBeenCalledTimes(1)
    expect(api.clearAppBadge).toHaveBeenCalledTimes(1)

    count.value = 2.7
    await nextTick()
    expect(api.setAppBadge).toHaveBeenLastCalledWith(2)
  })

  it('badges through the browser navigator by default, called on it', async () => {
    const api = badgeApi()
    const receivers: unknown[] = []
    Object.defineProperty(navigator, 'setAppBadge', {
      configurable: true,
      value: function (this: unknown, count: number) {
        receivers.push(this)
        return api.setAppBadge(count)
      },
    })
    Object.defineProperty(navigator, 'clearAppBadge', { configurable: true, value: api.clearAppBadge })
    const badge = host(() => useAppBadge())
    expect(badge.isSupported).toBe(true)
    await badge.set(4)
    await badge.clear()
    expect(api.setAppBadge).toHaveBeenCalledWith(4)
    expect(receivers).toEqual([navigator])
    expect(api.clearAppBadge).toHaveBeenCalledTimes(1)
  })

  it('does nothing, and throws nothing, where the Badging API is missing', async () => {
    expect('setAppBadge' in navigator).toBe(false)
    const badge = host(() => useAppBadge(5))
    expect(badge.isSupported).toBe(false)
    await expect(badge.set(3)).resolves.toBeUndefined()
    await expect(badge.clear()).resolves.toBeUndefined()
    expect(host(() => useAppBadge(1, { navigator: {} })).isSupported).toBe(false)
  })

  it('swallows a refusal (an app that is not installed, no permission)', async () => {
    const refused = new DOMException('not allowed', 'NotAllowedError')
    const badge = host(() =>
      useAppBadge(undefined, {
        navigator: {
          setAppBadge: vi.fn(async () => {
            throw refused
          }),
          clearAppBadge: () => {
            throw refused
          },
        },
      }),
    )
    await expect(badge.set(2)).resolves.toBeUndefined()
    await expect(badge.clear()).resolves.toBeUndefined()
  })
})
