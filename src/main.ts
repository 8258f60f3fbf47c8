import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { setupI18n } from './i18n'
import { registerServiceWorker } from './pwa'
import { createAppRouter } from './router'
import { useSyncStore } from './stores/sync'
import './styles.css'

async function start(): Promise<void> {
  const i18n = await setupI18n()
  const app = createApp(App)
  const pinia = createPinia()
  app.use(pinia)
  app.use(i18n)
  const sync = useSyncStore(pinia)
  await sync.restore().catch(() => undefined)
  app.use(createAppRouter())
  app.mount('#app')
  sync.startAutomaticSync()
  registerServiceWorker()
}

void start()
