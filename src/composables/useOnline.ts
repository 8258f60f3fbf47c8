import { onBeforeUnmount, onMounted, shallowRef } from 'vue'

/** Whether the browser believes it has a network connection. */
export function useOnline() {
  const online = shallowRef(typeof navigator === 'undefined' ? true : navigator.onLine)
  const update = () => {
    online.value = navigator.onLine
  }
  onMounted(() => {
    window.addEventListener('online', update)
    window.addEventListener('offline', update)
  })
  onBeforeUnmount(() => {
    window.removeEventListener('online', update)
    window.removeEventListener('offline', update)
  })
  return online
}
