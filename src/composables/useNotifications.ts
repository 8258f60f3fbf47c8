import { shallowRef } from 'vue'

export type NotificationPermissionState = NotificationPermission | 'unsupported'

function notificationApi(): typeof Notification | undefined {
  return typeof Notification === 'function' ? Notification : undefined
}

function currentPermission(): NotificationPermissionState {
  return notificationApi()?.permission ?? 'unsupported'
}

/**
 * System notifications while the app is open (Notifications API). Safari on iPhone has them only
 * for web apps added to the home screen, old browsers not at all: then `permission` is
 * `unsupported` and `show` does nothing. Nothing here throws.
 */
export function useNotifications() {
  const isSupported = notificationApi() !== undefined
  const permission = shallowRef<NotificationPermissionState>(currentPermission())

  /** Whether a notification would show now (the user may have changed it in the browser meanwhile). */
  function canShow(): boolean {
    permission.value = currentPermission()
    return permission.value === 'granted'
  }

  /** Asks the user. Call it from a tap only: browsers ignore, or hold against a site, asking unprompted. */
  async function requestPermission(): Promise<NotificationPermissionState> {
    const api = notificationApi()
    if (!api) return (permission.value = 'unsupported')
    try {
      permission.value = await new Promise<NotificationPermission>((resolve, reject) => {
        // Safari before 15 answers only through the callback and returns nothing.
        const answer = api.requestPermission(resolve) as Promise<NotificationPermission> | undefined
        answer?.then(resolve, reject)
      })
    } catch {
      permission.value = currentPermission()
    }
    return permission.value
  }

  /**
   * Shows a notification: through the service worker where there is one (Chrome on Android allows
   * no other way), else from the page. False when it could not be shown.
   */
  async function show(title: string, options: NotificationOptions = {}): Promise<boolean> {
    const api = notificationApi()
    if (!api || !canShow()) return false
    try {
      const registration = await navigator.serviceWorker?.getRegistration()
      if (registration?.active) {
        await registration.showNotification(title, options)
        return true
      }
    } catch {
      // No usable service worker (first visit, development): the page shows it itself.
    }
    try {
      const notification = new api(title, options)
      notification.onclick = () => {
        window.focus()
        notification.close()
      }
      return true
    } catch {
      return false
    }
  }

  return { isSupported, permission, canShow, requestPermission, show }
}
