import { createApp } from 'vue'
import { createPinia } from 'pinia'
import { Lazyload } from 'vant'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import App from './App.vue'
import { router } from './router'
import { onSessionEnded } from './api/client'
import { useSession } from './stores/session'
import './style.css'

const app = createApp(App)
app.use(createPinia())
app.use(router)
// Images load as they scroll into view (IntersectionObserver where the browser has it).
app.use(Lazyload, { lazyComponent: true, observer: true })

// A refresh that fails ends the session: forget it and ask the shopper to log
// in again, coming back to the same page afterwards.
onSessionEnded(() => {
  useSession().ended()
  const here = router.currentRoute.value
  if (here.meta.auth) router.replace({ name: 'login', query: { redirect: here.fullPath } })
})

app.mount('#app')
