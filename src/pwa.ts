import { registerSW } from 'virtual:pwa-register'
import { useDeviceStore } from './stores/device'

/**
 * Registers the service worker (workbox-window underneath). A new version waits until the
 * user agrees to reload, so nothing half-typed is lost to an update.
 */
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return
  const device = useDeviceStore()
  const updateServiceWorker = registerSW({
    onNeedRefresh() {
      device.offerUpdate(() => updateServiceWorker(true))
    },
  })
}
