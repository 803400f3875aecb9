import { afterEach, describe, expect, it } from 'vitest'
import { createApp, h } from 'vue'
import CouponCard from './CouponCard.vue'
import type { CouponRule } from '../lib/coupons'

// Mounts the card into the test document and returns its element.
function mount(props: { coupon: CouponRule & { name?: string }; validity?: string; dim?: boolean; note?: string }, slot = '') {
  const host = document.createElement('div')
  document.body.appendChild(host)
  createApp({ render: () => h(CouponCard, props, { default: () => slot }) }).mount(host)
  return host
}
afterEach(() => {
  document.body.innerHTML = ''
})

describe('CouponCard', () => {
  it('shows an amount off with its threshold, scope and validity', () => {
    const el = mount({ coupon: { name: '双十二大促', kind: 'AMOUNT_OFF', amount_off_fen: '2000', threshold_fen: '20000', summary: '满200减20' }, validity: '领取后 7 天内有效' }, '立即领取')
    expect(el.querySelector('.coupon__value')?.textContent).toBe('¥20')
    expect(el.querySelector('.coupon__cond')?.textContent).toBe('满200可用')
    expect(el.querySelector('[data-test=coupon-name]')?.textContent).toBe('双十二大促')
    expect(el.querySelector('[data-test=coupon-summary]')?.textContent).toBe('满200减20')
    expect(el.textContent).toContain('全场通用')
    expect(el.textContent).toContain('领取后 7 天内有效')
    expect(el.querySelector('.coupon__action')?.textContent).toBe('立即领取')
  })
  it('shows a percentage in 折 and the rule once when it is the name', () => {
    const el = mount({ coupon: { name: '无门槛9折 最多减30', kind: 'PERCENT_OFF', percent_off_permille: '100', cap_fen: '3000', summary: '无门槛9折 最多减30', stackable: true, product_ids: ['p1'] } })
    expect(el.querySelector('.coupon__value')?.textContent).toBe('9折')
    expect(el.querySelector('.coupon__cond')?.textContent).toBe('无门槛 最多减30')
    expect(el.querySelector('[data-test=coupon-summary]')).toBeNull()
    expect(el.textContent).toContain('指定商品可用 · 可叠加')
  })
  it('dims a coupon that cannot be used and says why', () => {
    const el = mount({ coupon: { kind: 'AMOUNT_OFF', amount_off_fen: '500' }, dim: true, note: '本单商品不适用' })
    expect(el.querySelector('.coupon')?.classList.contains('is-dim')).toBe(true)
    expect(el.querySelector('.coupon__note')?.textContent).toBe('本单商品不适用')
    expect(el.querySelector('[data-test=coupon-name]')?.textContent).toBe('无门槛减5')
  })
})
