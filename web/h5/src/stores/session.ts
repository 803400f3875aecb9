import { defineStore } from 'pinia'
import { api, tokens, unwrap, type Schemas } from '../api/client'
import { ApiError } from '../lib/errors'
import { clearGuestCart, guestLines } from '../lib/guestCart'

/** sessionStorage key of the invite code a share link carried. */
export const INVITER = 'siyu.inviter'

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
      // A share link's inviter (kept by the router) is credited at registration;
      // a code that no longer names anyone must not stop the login.
      const invite = sessionStorage.getItem(INVITER) || undefined
      const attempt = (invite_code?: string) => unwrap(api.POST('/v1/auth/sms-login', { body: { phone, code, invite_code, channel: 'h5' } }))
      let r
      try {
        r = await attempt(invite)
      } catch (e) {
        if (!(e instanceof ApiError) || !invite || !e.reason.startsWith('INVITE')) throw e
        sessionStorage.removeItem(INVITER)
        r = await attempt()
      }
      sessionStorage.removeItem(INVITER)
      tokens.set({ access: r.access_token ?? '', refresh: r.refresh_token ?? '' })
      this.signedIn = true
      this.member = r.member ?? null
      await this.mergeGuestCart()
      await this.refreshCartCount()
    },
    /** mergeGuestCart hands what was picked before the login to the member's cart. */
    async mergeGuestCart() {
      const lines = guestLines()
      if (!lines.length) return
      try {
        await unwrap(
          api.POST('/v1/cart:merge', {
            body: { lines: lines.map((l) => ({ product_id: l.product_id, sku_id: l.sku_id, quantity: String(l.quantity) })) },
          }),
        )
        // Lines the cart could not take (sold out, off shelf) are dropped with
        // the rest: the member's cart page explains what it holds.
        clearGuestCart()
      } catch {
        // Kept on the device; the next login tries again.
      }
    },
    async loadMe() {
      if (!this.signedIn) return null
      this.member = await unwrap(api.GET('/v1/members/me'))
      return this.member
    },
    async refreshCartCount() {
      if (!this.signedIn) {
        this.cartCount = guestLines().reduce((n, l) => n + l.quantity, 0)
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
