import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { setupI18n } from './i18n'
import { registerServiceWorker } from './pwa'
import { createAppRouter } from './router'
import './styles.css'

async function start(): Promise<void> {
  const i18n = await setupI18n()
  const app = createApp(App)
  app.use(createPinia())
  app.use(i18n)
  app.use(createAppRouter())
  app.mount('#app')
  registerServiceWorker()
}

void start()
