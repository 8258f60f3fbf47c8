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
      device.offerUpdate(async () => {
        // workbox-window reloads only pages that had a controller when they registered; the page
        // of a first visit was taken over by clientsClaim() later, so reload it ourselves.
        navigator.serviceWorker.addEventListener('controllerchange', () => window.location.reload(), { once: true })
        await updateServiceWorker(true)
      })
    },
  })
}
