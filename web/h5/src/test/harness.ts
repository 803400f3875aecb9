// A page under test: mounted with Pinia and an in-memory router, against a
// fake gateway that answers by method and path and records every request
// (the pages' typed client calls the global fetch).
import { vi } from 'vitest'
import { createApp, defineComponent, h, type Component } from 'vue'
import { createPinia } from 'pinia'
import { createMemoryHistory, createRouter, RouterView } from 'vue-router'
import { allowMultipleToast } from 'vant'

// Vant keeps one toast and reuses its element; tests clear the document
// between cases, so each toast gets an element of its own instead.
allowMultipleToast()

export interface Call {
  method: string
  path: string
  query: URLSearchParams
  body: any
}
export type Handler = (call: Call) => { status?: number; body: unknown }

/** gateway stubs fetch with handlers keyed "METHOD /path" and returns the calls seen. */
export function gateway(handlers: Record<string, Handler>) {
  const calls: Call[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const url = new URL(req.url)
      const text = req.method === 'GET' ? '' : await req.text()
      const call: Call = { method: req.method, path: decodeURIComponent(url.pathname), query: url.searchParams, body: text ? JSON.parse(text) : undefined }
      calls.push(call)
      const handler = handlers[`${call.method} ${call.path}`]
      if (!handler) return Response.json({ code: 5, message: 'no route' }, { status: 404 })
      const r = handler(call)
      return Response.json(r.body, { status: r.status ?? 200 })
    }),
  )
  return calls
}

/** refusal is the gateway's error body for a reason. */
export function refusal(reason: string, code = 9) {
  return { code, message: reason, details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'marketing.siyu.dev' }] }
}

const Blank = defineComponent({ render: () => h('div') })
// Where pages may send the shopper; each is blank here.
const OTHER_PAGES: Record<string, string> = {
  home: '/',
  login: '/login',
  coupons: '/coupons',
  'my-coupons': '/my-coupons',
  pay: '/pay/:orderId',
  address: '/addresses/:id',
  product: '/product/:id',
  order: '/orders/:id',
}

/** mountPage mounts page at path (signed in unless guest) and returns the page's root and router. */
export async function mountPage(page: Component, path: string, o: { guest?: boolean } = {}) {
  if (o.guest) localStorage.removeItem('siyu.tokens')
  else localStorage.setItem('siyu.tokens', JSON.stringify({ access: 'a', refresh: 'r' }))
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/page', name: 'page', component: page },
      ...Object.entries(OTHER_PAGES).map(([name, p]) => ({ path: p, name, component: Blank })),
    ],
  })
  // Pages are mounted at /page with the query they read.
  await router.push(path.replace(/^[^?]*/, '/page'))
  await router.isReady()
  const host = document.createElement('div')
  document.body.appendChild(host)
  const app = createApp({ render: () => h(RouterView) })
  app.use(createPinia())
  app.use(router)
  app.mount(host)
  return { root: host, router, unmount: () => app.unmount() }
}

/** click clicks the first element matching selector inside root (or the document). */
export function click(selector: string, root: ParentNode = document) {
  const el = root.querySelector<HTMLElement>(selector)
  if (!el) throw new Error(`nothing matches ${selector}`)
  el.click()
}

export const text = (selector: string, root: ParentNode = document) => root.querySelector(selector)?.textContent?.trim() ?? ''
