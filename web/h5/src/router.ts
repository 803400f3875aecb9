import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import Home from './views/Home.vue'
import { tokens } from './api/client'
import { INVITER } from './stores/session'

// Home is in the first bundle (it is the landing page); every other page is
// loaded when first opened.
const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: Home, meta: { tab: 'home' } },
  { path: '/category', name: 'category', component: () => import('./views/Category.vue'), meta: { tab: 'category' } },
  { path: '/search', name: 'search', component: () => import('./views/Search.vue') },
  { path: '/product/:id', name: 'product', component: () => import('./views/Product.vue') },
  { path: '/login', name: 'login', component: () => import('./views/Login.vue') },
  { path: '/cart', name: 'cart', component: () => import('./views/Cart.vue'), meta: { tab: 'cart' } },
  { path: '/checkout', name: 'checkout', component: () => import('./views/Checkout.vue'), meta: { auth: true } },
  { path: '/pay/:orderId', name: 'pay', component: () => import('./views/Pay.vue'), meta: { auth: true } },
  { path: '/pay/:orderId/result', name: 'pay-result', component: () => import('./views/PayResult.vue'), meta: { auth: true } },
  { path: '/orders', name: 'orders', component: () => import('./views/Orders.vue'), meta: { auth: true } },
  { path: '/orders/:id', name: 'order', component: () => import('./views/OrderDetail.vue'), meta: { auth: true } },
  { path: '/orders/:id/review', name: 'review', component: () => import('./views/Review.vue'), meta: { auth: true } },
  { path: '/me', name: 'me', component: () => import('./views/Me.vue'), meta: { tab: 'me' } },
  { path: '/addresses', name: 'addresses', component: () => import('./views/Addresses.vue'), meta: { auth: true } },
  { path: '/addresses/:id', name: 'address', component: () => import('./views/AddressEdit.vue'), meta: { auth: true } },
  { path: '/favourites', name: 'favourites', component: () => import('./views/Favourites.vue'), meta: { auth: true } },
  { path: '/points', name: 'points', component: () => import('./views/Points.vue'), meta: { auth: true } },
  { path: '/history', name: 'history', component: () => import('./views/History.vue'), meta: { auth: true } },
  { path: '/settings', name: 'settings', component: () => import('./views/Settings.vue'), meta: { auth: true } },
  { path: '/messages', name: 'messages', component: () => import('./views/Messages.vue'), meta: { auth: true } },
  { path: '/message-settings', name: 'message-settings', component: () => import('./views/MessageSettings.vue'), meta: { auth: true } },
  { path: '/coupons', name: 'coupons', component: () => import('./views/CouponCentre.vue') },
  { path: '/my-coupons', name: 'my-coupons', component: () => import('./views/MyCoupons.vue'), meta: { auth: true } },
  { path: '/service', name: 'service', component: () => import('./views/Chat.vue'), meta: { auth: true } },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: (_to, _from, saved) => saved ?? { top: 0 },
})

// Pages that need a shopper send guests to log in, keeping where they were
// going (query included, so a share link's inviter survives the login).
router.beforeEach((to) => {
  if (typeof to.query.inviter === 'string' && to.query.inviter) {
    sessionStorage.setItem(INVITER, to.query.inviter)
  }
  if (to.meta.auth && !tokens.get()) {
    return { name: 'login', query: { redirect: to.fullPath } }
  }
})
