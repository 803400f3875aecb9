import { defineStore } from 'pinia'
import { api, tokens, unwrap, type Schemas } from '../api/client'

// The signed-in shopper. Tokens live in localStorage (src/api/session.ts);
// this store mirrors whether there are any so the UI can react.
export const useSession = defineStore('session', {
  state: () => ({
    signedIn: tokens.get() !== null,
    member: null as Schemas['v1Member'] | null,
    cartCount: 0,
  }),
  actions: {
    async sendCode(phone: string) {
      return unwrap(api.POST('/v1/auth/sms-codes', { body: { phone } }))
    },
    async login(phone: string, code: string) {
      const r = await unwrap(api.POST('/v1/auth/sms-login', { body: { phone, code } }))
      tokens.set({ access: r.access_token ?? '', refresh: r.refresh_token ?? '' })
      this.signedIn = true
      this.member = r.member ?? null
      await this.refreshCartCount()
    },
    async loadMe() {
      if (!this.signedIn) return null
      this.member = await unwrap(api.GET('/v1/members/me'))
      return this.member
    },
    async refreshCartCount() {
      if (!this.signedIn) {
        this.cartCount = 0
        return
      }
      try {
        const cart = await unwrap(api.GET('/v1/cart'))
        this.cartCount = (cart.lines ?? []).reduce((n, l) => n + Number(l.quantity ?? 0), 0)
      } catch {
        // The badge is a nicety; the cart page shows real errors.
      }
    },
    async logout() {
      const t = tokens.get()
      if (t) {
        await api.POST('/v1/auth/logout', { body: { refresh_token: t.refresh } }).catch(() => undefined)
      }
      this.ended()
    },
    /** ended forgets the session locally (after logout or a failed refresh). */
    ended() {
      tokens.set(null)
      this.signedIn = false
      this.member = null
      this.cartCount = 0
    },
  },
})
