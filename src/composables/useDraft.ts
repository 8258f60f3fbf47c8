import { onBeforeUnmount, ref, watch, type Ref } from 'vue'
import { useDeviceStore } from '@/stores/device'
import { useDraftsStore } from '@/stores/drafts'

const SAVE_DELAY_MS = 300

/**
 * A form model that survives a phone call, an app switch or a closed tab: every change is kept
 * as a draft shortly after typing, restored when the form opens again, and dropped on save.
 */
export function useDraft<T extends object>(key: string, initial: () => T) {
  const drafts = useDraftsStore()
  const device = useDeviceStore()
  const form = ref(initial()) as Ref<T>
  const restored = ref(false)
  let timer: ReturnType<typeof setTimeout> | undefined
  let baseline = JSON.stringify(form.value)
  const isDirty = () => JSON.stringify(form.value) !== baseline

  const loading = drafts
    .load<T>(key)
    .then((draft) => {
      // Whatever the user typed while the draft was being read is newer: keep it.
      if (draft && !isDirty()) {
        form.value = { ...initial(), ...draft }
        restored.value = true
        device.markUnsaved(key, true)
      }
    })
    .catch(() => {
      // A draft that cannot be read is not worth blocking the form for.
    })

  function persist(): void {
    const dirty = isDirty()
    device.markUnsaved(key, dirty)
    // Writes wait for the stored draft to be read, so an older draft never overwrites new input.
    void loading
      .then(() => (dirty ? drafts.save(key, form.value) : drafts.discard(key)))
      .catch(() => {
        // The form still holds the input; a failed draft write only loses the crash safety net.
      })
  }

  // A phone may kill a backgrounded app without warning: write the pending draft right away.
  function flush(): void {
    if (timer === undefined) return
    clearTimeout(timer)
    timer = undefined
    persist()
  }

  watch(
    form,
    () => {
      if (isDirty()) device.markUnsaved(key, true)
      clearTimeout(timer)
      timer = setTimeout(() => {
        timer = undefined
        persist()
      }, SAVE_DELAY_MS)
    },
    { deep: true },
  )

  const flushWhenHidden = () => {
    if (document.visibilityState === 'hidden') flush()
  }
  document.addEventListener('visibilitychange', flushWhenHidden)
  window.addEventListener('pagehide', flush)

  onBeforeUnmount(() => {
    document.removeEventListener('visibilitychange', flushWhenHidden)
    window.removeEventListener('pagehide', flush)
    flush()
  })

  /** After a successful save: forget the draft and treat the saved state as clean. */
  async function clear(next?: T): Promise<void> {
    clearTimeout(timer)
    timer = undefined
    if (next) form.value = next
    baseline = JSON.stringify(form.value)
    restored.value = false
    device.markUnsaved(key, false)
    await loading
    await drafts.discard(key).catch(() => undefined)
  }

  /** Throws the input away and starts again from `initial`. */
  async function reset(): Promise<void> {
    await clear(initial())
  }

  return { form, restored, ready: loading, clear, reset }
}
