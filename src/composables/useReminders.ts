import { computed, onBeforeUnmount, onMounted, watch } from 'vue'
import { toIsoDate } from '@/shared/dates'
import { useLockStore } from '@/stores/lock'
import { useSyncStore } from '@/stores/sync'
import { useTodayStore } from '@/stores/today'
import { useAppBadge } from './useAppBadge'
import { useNow } from './useNow'

/**
 * Keeps the due list current while the app runs (after unlock, sync, local changes, at midnight)
 * and tells about it outside the page: the number on the app icon. Used once, by App.vue.
 */
export function useReminders(): void {
  const lock = useLockStore()
  const sync = useSyncStore()
  const today = useTodayStore()
  const badge = useAppBadge()
  const now = useNow(60_000)
  const day = computed(() => toIsoDate(new Date(now.value)))

  function reload(): void {
    if (lock.state === 'unlocked') void today.load().catch(() => undefined)
  }

  watch(
    () => lock.state,
    (state) => {
      if (state !== 'unlocked') return
      reload()
    },
    { immediate: true },
  )
  watch(() => sync.revision, reload)
  watch(day, reload)

  let stopFollowing: (() => void) | undefined
  onMounted(() => {
    stopFollowing = today.followLocalWrites()
  })
  onBeforeUnmount(() => stopFollowing?.())

  // Locked, the number stays: it names nobody, and still says there is something to do. Signed
  // out or wiped (no key any more), what it counted is gone from the device, and so is the number.
  watch(
    () => [lock.state, today.loaded, today.actionCount] as const,
    ([state, loaded, count]) => {
      if (state === 'noKey') void badge.clear()
      else if (state === 'unlocked' && loaded) void badge.set(count)
    },
    { immediate: true },
  )
}
