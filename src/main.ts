import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { setupI18n } from './i18n'
import { registerServiceWorker } from './pwa'
import { createAppRouter } from './router'
import { useLockStore } from './stores/lock'
import { useSyncStore } from './stores/sync'
import './styles.css'

async function start(): Promise<void> {
  const i18n = await setupI18n()
  const app = createApp(App)
  const pinia = createPinia()
  app.use(pinia)
  app.use(i18n)
  const sync = useSyncStore(pinia)
  const lock = useLockStore(pinia)
  await lock.initialize().catch(() => undefined)
  // Locked, the session is sealed too: it is read, and sync starts, on unlock.
  if (lock.state !== 'locked') await sync.restore().catch(() => undefined)
  app.use(createAppRouter())
  app.mount('#app')
  if (lock.state === 'unlocked') sync.startAutomaticSync()
  registerServiceWorker()
}

void start()
