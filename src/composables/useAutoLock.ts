import { onBeforeUnmount, onMounted, toValue, watch, type MaybeRefOrGetter } from 'vue'

const ACTIVITY_EVENTS = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'scroll'] as const

export interface AutoLockOptions {
  /** Idle time after which `onIdle` runs, in milliseconds. */
  idleMs: MaybeRefOrGetter<number>
  /** Only counts while this is true (i.e. while unlocked). */
  active: MaybeRefOrGetter<boolean>
  onIdle: () => void
  /** The clock, replaceable in tests. */
  now?: () => number
}

/**
 * Runs `onIdle` once the user has done nothing for `idleMs`, or when the app comes back after
 * having been hidden that long. Browsers slow timers down in hidden tabs, so the time hidden is
 * checked when the page becomes visible again, not left to the timer.
 */
export function useAutoLock({ idleMs, active, onIdle, now = () => Date.now() }: AutoLockOptions): void {
  let timer: ReturnType<typeof setTimeout> | undefined
  let lastActivity = now()
  let hiddenSince: number | undefined

  const stop = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  const arm = () => {
    stop()
    if (!toValue(active)) return
    const remaining = Math.max(0, lastActivity + toValue(idleMs) - now())
    timer = setTimeout(() => {
      timer = undefined
      if (!toValue(active)) return
      if (now() - lastActivity >= toValue(idleMs)) onIdle()
      else arm()
    }, remaining)
  }

  // Activity only notes the time: the running timer re-arms itself for the rest when it fires.
  const onActivity = () => {
    lastActivity = now()
    if (timer === undefined) arm()
  }

  const onVisibility = () => {
    if (document.visibilityState === 'hidden') {
      hiddenSince = now()
      return
    }
    const away = hiddenSince === undefined ? 0 : now() - hiddenSince
    hiddenSince = undefined
    if (toValue(active) && away >= toValue(idleMs)) onIdle()
    else onActivity()
  }

  onMounted(() => {
    for (const type of ACTIVITY_EVENTS) window.addEventListener(type, onActivity, { passive: true, capture: true })
    document.addEventListener('visibilitychange', onVisibility)
  })
  onBeforeUnmount(() => {
    stop()
    for (const type of ACTIVITY_EVENTS) window.removeEventListener(type, onActivity, { capture: true })
    document.removeEventListener('visibilitychange', onVisibility)
  })

  watch(
    () => [toValue(active), toValue(idleMs)] as const,
    () => {
      lastActivity = now()
      arm()
    },
    { immediate: true },
  )
}
