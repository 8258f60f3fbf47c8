import { onBeforeUnmount, onMounted, shallowRef } from 'vue'

/** The current time, updated every `intervalMs`, for texts like "unsent for 5 minutes". */
export function useNow(intervalMs = 30_000) {
  const now = shallowRef(Date.now())
  let timer: ReturnType<typeof setInterval> | undefined
  onMounted(() => {
    timer = setInterval(() => {
      now.value = Date.now()
    }, intervalMs)
  })
  onBeforeUnmount(() => clearInterval(timer))
  return now
}
