import { afterEach, describe, expect, it, vi } from 'vitest'
import { nextTick } from 'vue'
import MyCoupons from './MyCoupons.vue'
import { click, gateway, mountPage, refusal, text } from '../test/harness'

// My coupons against a fake gateway: a tab per status (asked of the
// service), an exchange code redeemed into the unused tab, and a code the
// service does not know said in Chinese.
const coupon = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
  id,
  status,
  name: '满100减20',
  kind: 'AMOUNT_OFF',
  amount_off_fen: '2000',
  threshold_fen: '10000',
  summary: '满100减20',
  valid_from: '2026-12-03T02:00:00Z',
  valid_to: '2026-12-10T02:00:00Z',
  ...extra,
})
let page: Awaited<ReturnType<typeof mountPage>> | undefined
afterEach(() => {
  page?.unmount()
  document.body.innerHTML = ''
  vi.unstubAllGlobals()
})

describe('my coupons', () => {
  it('shows a tab per status and redeems a code', async () => {
    let redeemed = false
    const calls = gateway({
      'GET /v1/members/me/coupons': (c) => {
        const status = c.query.get('status')
        if (status === 'USED') return { body: { coupons: [coupon('u1', 'USED', { order_id: 'o1' })] } }
        if (status === 'UNUSED') return { body: { coupons: redeemed ? [coupon('c5', 'UNUSED', { name: '无门槛减5', summary: '无门槛减5', amount_off_fen: '500', threshold_fen: '0' })] : [] } }
        return { body: { coupons: [] } }
      },
      'POST /v1/members/me/coupons:redeem': (c) => {
        if (c.body.code !== 'GOOD') return { status: 404, body: refusal('COUPON_CODE_NOT_FOUND', 5) }
        redeemed = true
        return { body: coupon('c5', 'UNUSED') }
      },
    })
    page = await mountPage(MyCoupons, '/my-coupons?status=USED')
    await vi.waitFor(() => expect(document.querySelector('[data-coupon=u1]')).not.toBeNull())
    expect(calls[0]!.query.get('status')).toBe('USED')
    expect(text('[data-coupon=u1] [data-test=status]')).toBe('已使用')
    expect(text('[data-coupon=u1]')).toContain('2026.12.03 - 2026.12.10')

    const input = document.querySelector<HTMLInputElement>('[data-test=redeem-code] input')!
    input.value = 'BAD'
    input.dispatchEvent(new Event('input'))
    click('[data-test=redeem]')
    await vi.waitFor(() => expect(document.body.textContent).toContain('兑换码不存在，请检查后重试'))

    input.value = 'GOOD'
    input.dispatchEvent(new Event('input'))
    await nextTick()
    click('[data-test=redeem]')
    await vi.waitFor(() => expect(document.querySelector('[data-coupon=c5]')).not.toBeNull())
    expect(page.router.currentRoute.value.query.status).toBe('UNUSED')
    expect(document.querySelector<HTMLElement>('[data-coupon=c5]')!.dataset.status).toBe('UNUSED')
    expect(text('[data-coupon=c5] [data-test=use]')).toBe('去使用')
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.body.code)).toEqual(['BAD', 'GOOD'])
  })
})
