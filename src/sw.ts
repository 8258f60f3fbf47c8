/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core'
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'

declare const self: ServiceWorkerGlobalScope

// The whole app shell, so a cold start with no network works.
precacheAndRoute(self.__WB_MANIFEST)
// Control the page that installed us at once: a coach who opens Lotse once and then walks into a
// basement must not need a reload first. Updates still wait for the user (see below).
clientsClaim()
cleanupOutdatedCaches()

// Every screen is the same single page; the API is never served from the cache.
registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html'), { denylist: [/^\/api\//] }))

// A waiting version takes over only when the user agreed to reload (see src/pwa.ts).
self.addEventListener('message', (event: ExtendableMessageEvent) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting()
})

// A due-item notification (src/composables/useReminders.ts) brings Lotse to the front: the window
// that is open, as it is (a half-filled form stays), or a new one on Today.
self.addEventListener('notificationclick', (event: NotificationEvent) => {
  event.notification.close()
  event.waitUntil(
    (async () => {
      const [open] = await self.clients.matchAll({ type: 'window', includeUncontrolled: true })
      if (open) await open.focus()
      else await self.clients.openWindow('/')
    })(),
  )
})
