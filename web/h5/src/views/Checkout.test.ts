import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import Checkout from './Checkout.vue'
import { click, gateway, mountPage, refusal, text, type Call } from '../test/harness'

// Checkout's coupons against a fake gateway: the first quote asks for the
// best coupons, the picker re-quotes with exactly the coupons chosen (or
// none), and a choice the service refuses leaves the last quote standing.
const coupons = [
  { id: 'c20', name: '满100减20', status: 'UNUSED', kind: 'AMOUNT_OFF', amount_off_fen: '2000', threshold_fen: '10000', summary: '满100减20' },
  { id: 'c5', name: '无门槛减5', status: 'UNUSED', kind: 'AMOUNT_OFF', amount_off_fen: '500', summary: '无门槛减5' },
  { id: 'big', name: '满300减50', status: 'UNUSED', kind: 'AMOUNT_OFF', amount_off_fen: '5000', threshold_fen: '30000', summary: '满300减50' },
  { id: 'other', name: '指定商品券', status: 'UNUSED', kind: 'AMOUNT_OFF', amount_off_fen: '1000', product_ids: ['p-else'], summary: '无门槛减10' },
]
function quote(off: Array<[string, number]>) {
  const total = 15000 - off.reduce((n, [, a]) => n + a, 0)
  return {
    quote_id: `q${total}`,
    lines: [{ line_id: 'l1', sku_id: 'p1-A', product_id: 'p1', category_id: 'cat', title: '羊毛开衫', quantity: '1', unit_price_fen: '15000', subtotal_fen: '15000' }],
    goods_fen: '15000',
    discounts: off.map(([id, a]) => ({ source: 'coupon', id, amount_fen: String(a) })),
    shipping_fen: '0',
    total_fen: String(total),
  }
}

let calls: Call[]
let page: Awaited<ReturnType<typeof mountPage>>
const quotes = () => calls.filter((c) => c.path === '/v1/checkout/quotes').map((c) => c.body)

beforeEach(async () => {
  calls = gateway({
    'GET /v1/members/me/addresses': () => ({ body: { addresses: [{ id: 'a1', receiver_name: '张三', phone: '13800138000', province: '上海市', detail: '世纪大道 1 号', is_default: true }] } }),
    'GET /v1/members/me/points': () => ({ body: { available_points: '100' } }),
    'GET /v1/members/me/coupons': () => ({ body: { coupons } }),
    'POST /v1/checkout/quotes': ({ body }) => {
      if (body.best_coupons) return { body: quote([['c20', 2000]]) }
      if (body.coupon_ids.includes('c5')) return { status: 400, body: refusal('COUPON_BELOW_THRESHOLD') }
      return { body: quote(body.coupon_ids.map((id: string) => [id, id === 'c20' ? 2000 : 500])) }
    },
  })
  page = await mountPage(Checkout, '/checkout')
  await vi.waitFor(() => expect(text('[data-test=total]')).toBe('¥130.00'))
})
afterEach(() => {
  page.unmount()
  document.body.innerHTML = ''
  vi.unstubAllGlobals()
})

describe('checkout coupons', () => {
  it('asks for the best coupons first and shows what they took off', () => {
    expect(quotes()).toHaveLength(1)
    expect(quotes()[0]).toMatchObject({ best_coupons: true, coupon_ids: [] })
    expect(calls.find((c) => c.path === '/v1/members/me/coupons')?.query.get('status')).toBe('UNUSED')
    expect(text('[data-test=coupon-value]')).toBe('-¥20.00')
    expect(text('[data-test=coupons]')).toContain('已为你选择最优优惠：满100减20')
    expect(text('[data-discount=coupon]')).toContain('优惠券（满100减20）')
  })

  it('lists the unused coupons in the picker, the applied one chosen and one for other goods not choosable', async () => {
    click('[data-test=coupons]')
    await nextTick()
    expect(document.querySelectorAll('[data-pick]')).toHaveLength(4)
    expect(document.querySelector('[data-pick=c20] .van-checkbox__icon--checked')).not.toBeNull()
    expect(document.querySelector('[data-pick=c5] .van-checkbox__icon--checked')).toBeNull()
    expect(text('[data-pick=other]')).toContain('本单商品不适用')
    // One the order does not reach yet says by how much, and can still be tried.
    expect(text('[data-pick=big]')).toContain('还差 ¥150.00 可用')
    expect(document.querySelector('[data-pick=big] .van-checkbox--disabled')).toBeNull()
    click('[data-pick=other]')
    await nextTick()
    expect(document.querySelector('[data-pick=other] .van-checkbox__icon--checked')).toBeNull()
  })

  it('re-quotes with no coupons, then with the one chosen', async () => {
    click('[data-test=coupons]')
    await nextTick()
    click('[data-test=pick-none]')
    click('[data-test=pick-confirm]')
    await vi.waitFor(() => expect(text('[data-test=total]')).toBe('¥150.00'))
    expect(quotes()[1]).toMatchObject({ best_coupons: false, coupon_ids: [] })
    expect(text('[data-test=coupon-value]')).toBe('不使用优惠券')
    expect(document.querySelector('[data-discount=coupon]')).toBeNull()

    click('[data-test=coupons]')
    await nextTick()
    click('[data-pick=c20]')
    click('[data-test=pick-confirm]')
    await vi.waitFor(() => expect(text('[data-test=total]')).toBe('¥130.00'))
    expect(quotes()[2]).toMatchObject({ best_coupons: false, coupon_ids: ['c20'] })
    expect(text('[data-test=coupon-value]')).toBe('-¥20.00')
  })

  it('keeps the last quote and its coupons when the service refuses a choice', async () => {
    click('[data-test=coupons]')
    await nextTick()
    click('[data-pick=c5]')
    click('[data-test=pick-confirm]')
    await vi.waitFor(() => expect(document.body.textContent).toContain('未达到优惠券的使用门槛'))
    expect(quotes()[1]).toMatchObject({ best_coupons: false, coupon_ids: ['c5'] })
    expect(text('[data-test=total]')).toBe('¥130.00')
    expect(text('[data-test=coupon-value]')).toBe('-¥20.00')
    // The next quote (points switched on) asks for the best again, as before the refusal.
    click('[data-test=use-points]')
    await vi.waitFor(() => expect(quotes()).toHaveLength(3))
    expect(quotes()[2]).toMatchObject({ best_coupons: true, coupon_ids: [], points_to_use: '100' })
  })
})
