import { computed, onBeforeUnmount, onMounted, watch } from 'vue'
import { useI18n } from 'vue-i18n'
import { directionOf } from '@/i18n'
import { toIsoDate } from '@/shared/dates'
import type { DueAnnouncement, DueItem } from '@/shared/reminders'
import { useLockStore } from '@/stores/lock'
import { useRemindersStore } from '@/stores/reminders'
import { useSyncStore } from '@/stores/sync'
import { useTodayStore } from '@/stores/today'
import { useAppBadge } from './useAppBadge'
import { useNotifications } from './useNotifications'
import { useNow } from './useNow'

/**
 * Keeps the due list current while the app runs (after unlock, sync, local changes, at midnight)
 * and tells about it outside the page: the number on the app icon, and, when the user switched it
 * on in Settings, a notification as something becomes due. Used once, by App.vue.
 */
export function useReminders(): void {
  const { t, locale } = useI18n()
  const lock = useLockStore()
  const sync = useSyncStore()
  const today = useTodayStore()
  const reminders = useRemindersStore()
  const badge = useAppBadge()
  const notifications = useNotifications()
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
      void reminders.initialize().catch(() => undefined)
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

  function textOf(announcement: DueAnnouncement): string {
    const what = t(
      `reminders.notification.${announcement.kind}.${announcement.severity}`,
      { count: announcement.count, days: announcement.threshold ?? 0 },
      announcement.count,
    )
    return t('reminders.notification.body', { what })
  }

  async function announce(items: readonly DueItem[]): Promise<void> {
    if (lock.state !== 'unlocked' || !today.loaded || !reminders.notifyWhileOpen || !notifications.canShow()) return
    for (const announcement of await reminders.takeAnnouncements(items)) {
      await notifications.show(t('app.name'), {
        body: textOf(announcement),
        // One per kind and stage: a later one of the same kind replaces it instead of piling up.
        tag: `lotse-due-${announcement.kind}-${announcement.severity}-${announcement.threshold ?? ''}`,
        icon: '/icons/icon-192.png',
        lang: locale.value,
        dir: directionOf(locale.value),
      })
    }
  }

  // Also when the switch turns on at unlock: what became due since the app was last open.
  watch(
    () => [today.dueItems, reminders.notifyWhileOpen] as const,
    ([items]) => void announce(items).catch(() => undefined),
  )
}
