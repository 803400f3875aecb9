import { afterEach, describe, expect, it, vi } from 'vitest'
import CouponCentre from './CouponCentre.vue'
import { click, gateway, mountPage, refusal, text, type Call } from '../test/harness'

// The coupon centre against a fake gateway: offers with what is left and
// what the shopper holds, a claim, and refusals shown on the card and in
// plain Chinese.
const template = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  name,
  kind: 'AMOUNT_OFF',
  amount_off_fen: '2000',
  threshold_fen: '20000',
  summary: '满200减20',
  valid_days: 7,
  per_member_limit: '1',
  ...extra,
})
let held = '0'
let claim: (c: Call) => { status?: number; body: unknown } = () => {
  held = '1'
  return { body: { id: 'c1', template_id: 't1', status: 'UNUSED' } }
}
function offers() {
  return {
    body: {
      offers: [
        { template: template('t1', '满200减20'), held, remaining: held === '1' ? '9' : '10' },
        { template: template('t2', '限量券', { summary: '满200减30', amount_off_fen: '3000' }), held: '0', remaining: '1' },
      ],
    },
  }
}
let page: Awaited<ReturnType<typeof mountPage>> | undefined
afterEach(() => {
  page?.unmount()
  document.body.innerHTML = ''
  vi.unstubAllGlobals()
  held = '0'
})
const card = (id: string) => document.querySelector<HTMLElement>(`[data-offer=${id}]`)!

describe('coupon centre', () => {
  it('lists offers with their rule, validity and what is left, and claims one', async () => {
    const calls = gateway({ 'GET /v1/coupons/offers': offers, 'POST /v1/coupons/offers/t1:claim': (c) => claim(c) })
    page = await mountPage(CouponCentre, '/coupons')
    await vi.waitFor(() => expect(card('t1')).not.toBeNull())
    expect(text('[data-test=coupon-name]', card('t1'))).toBe('满200减20')
    expect(card('t1').textContent).toContain('满200可用')
    expect(card('t1').textContent).toContain('领取后 7 天内有效')
    expect(text('[data-test=remaining]', card('t1'))).toBe('剩余 10 张')
    expect(text('[data-test=claim]', card('t1'))).toBe('立即领取')

    click('[data-test=claim]', card('t1'))
    await vi.waitFor(() => expect(card('t1').dataset.state).toBe('claimed'))
    const sent = calls.find((c) => c.method === 'POST')!
    expect(sent.body.request_id).toMatch(/.{16,}/)
    expect(text('[data-test=claim]', card('t1'))).toBe('已领取')
    expect(card('t1').querySelector('button')!.disabled).toBe(true)
    expect(text('[data-test=held]', card('t1'))).toBe('已领 1 张')
    await vi.waitFor(() => expect(document.body.textContent).toContain('领取成功'))
  })

  it('shows a refusal on the card and says it in Chinese', async () => {
    gateway({
      'GET /v1/coupons/offers': offers,
      'POST /v1/coupons/offers/t1:claim': () => ({ status: 400, body: refusal('COUPON_LIMIT_REACHED') }),
      'POST /v1/coupons/offers/t2:claim': () => ({ status: 429, body: refusal('COUPON_SOLD_OUT', 8) }),
    })
    page = await mountPage(CouponCentre, '/coupons')
    await vi.waitFor(() => expect(card('t2')).not.toBeNull())
    click('[data-test=claim]', card('t2'))
    await vi.waitFor(() => expect(card('t2').dataset.state).toBe('soldOut'))
    expect(text('[data-test=claim]', card('t2'))).toBe('已抢光')
    await vi.waitFor(() => expect(document.body.textContent).toContain('优惠券已被抢光了'))
    click('[data-test=claim]', card('t1'))
    await vi.waitFor(() => expect(card('t1').dataset.state).toBe('claimed'))
    await vi.waitFor(() => expect(document.body.textContent).toContain('已达到每人领取上限，不能再领了'))
  })

  it("asks for the product's offers and sends a guest to log in to claim", async () => {
    const calls = gateway({ 'GET /v1/coupons/offers': offers })
    page = await mountPage(CouponCentre, '/coupons?product_id=p1&category_id=cat', { guest: true })
    await vi.waitFor(() => expect(card('t1')).not.toBeNull())
    expect(calls[0]!.query.get('product_id')).toBe('p1')
    expect(calls[0]!.query.get('category_id')).toBe('cat')
    expect(document.body.textContent).toContain('本商品可领优惠券')
    click('[data-test=claim]', card('t1'))
    await vi.waitFor(() => expect(page!.router.currentRoute.value.name).toBe('login'))
    expect(page.router.currentRoute.value.query.redirect).toBe('/page?product_id=p1&category_id=cat')
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)
  })
})
