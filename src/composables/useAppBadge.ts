import { toValue, watch, type MaybeRefOrGetter } from 'vue'

type BadgingNavigator = Pick<Navigator, 'setAppBadge' | 'clearAppBadge'>

export interface UseAppBadgeOptions {
  /** The navigator to badge through; replaceable in tests. */
  navigator?: Partial<BadgingNavigator>
}

/**
 * The number on the installed app's icon (Badging API): Chrome and Edge on desktop and Android,
 * installed web apps on iOS 16.4 and later; Firefox has none. Where it is missing, or refuses
 * (not installed, no permission), nothing happens and nothing throws: the badge is a hint, the
 * Today screen is where the items are.
 *
 * With `count`, the badge follows it (`undefined` leaves it as it is).
 */
export function useAppBadge(count?: MaybeRefOrGetter<number | undefined>, options: UseAppBadgeOptions = {}) {
  const target = options.navigator ?? (typeof navigator === 'undefined' ? undefined : navigator)
  const isSupported = typeof target?.setAppBadge === 'function' && typeof target.clearAppBadge === 'function'

  async function clear(): Promise<void> {
    if (!isSupported) return
    try {
      await target?.clearAppBadge?.()
    } catch {
      // Refused (e.g. not installed): there is no badge to clear.
    }
  }

  async function set(value: number): Promise<void> {
    if (!isSupported) return
    const whole = Number.isFinite(value) ? Math.max(0, Math.floor(value)) : 0
    if (whole === 0) return clear()
    try {
      await target?.setAppBadge?.(whole)
    } catch {
      // Refused (not installed, no permission): the list on Today still says it.
    }
  }

  if (count !== undefined) {
    watch(
      () => toValue(count),
      (value) => {
        if (value !== undefined) void set(value)
      },
      { immediate: true },
    )
  }

  return { isSupported, set, clear }
}
