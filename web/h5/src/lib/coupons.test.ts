import { describe, expect, it } from 'vitest'
import {
  appliedCoupons,
  couponCondition,
  couponScope,
  couponSummary,
  couponValue,
  covers,
  discountWords,
  offerState,
  shanghaiDate,
  shortOfThreshold,
  shortYuan,
  stateAfterRefusal,
  toggleChoice,
  validity,
} from './coupons'
import { describe as describeError, toApiError } from './errors'

describe('coupon figures', () => {
  it('writes yuan without needless decimals', () => {
    expect(shortYuan('2000')).toBe('20')
    expect(shortYuan(2050)).toBe('20.5')
    expect(shortYuan('2005')).toBe('20.05')
    expect(shortYuan('5')).toBe('0.05')
    expect(shortYuan(undefined)).toBe('0')
  })
  it('turns thousandths off into 折', () => {
    expect(discountWords('150')).toBe('8.5')
    expect(discountWords(100)).toBe('9')
    expect(discountWords('125')).toBe('8.75')
    expect(discountWords('0')).toBe('')
    expect(discountWords('1000')).toBe('')
  })
  it('shows an amount off in yuan and a percentage in 折', () => {
    expect(couponValue({ kind: 'AMOUNT_OFF', amount_off_fen: '2000' })).toEqual({ amount: '20', unit: 'yuan' })
    expect(couponValue({ kind: 'PERCENT_OFF', percent_off_permille: '150' })).toEqual({ amount: '8.5', unit: 'zhe' })
  })
  it('says the threshold and the cap', () => {
    expect(couponCondition({ kind: 'AMOUNT_OFF', amount_off_fen: '2000', threshold_fen: '20000' })).toBe('满200可用')
    expect(couponCondition({ kind: 'AMOUNT_OFF', amount_off_fen: '500', threshold_fen: '0' })).toBe('无门槛')
    expect(couponCondition({ kind: 'PERCENT_OFF', percent_off_permille: '100', cap_fen: '3000' })).toBe('无门槛 最多减30')
  })
  it("prefers the service's summary and makes the same words without one", () => {
    expect(couponSummary({ summary: '满200减20', kind: 'AMOUNT_OFF', amount_off_fen: '1' })).toBe('满200减20')
    expect(couponSummary({ kind: 'AMOUNT_OFF', amount_off_fen: '2000', threshold_fen: '20000' })).toBe('满200减20')
    expect(couponSummary({ kind: 'AMOUNT_OFF', amount_off_fen: '500' })).toBe('无门槛减5')
    expect(couponSummary({ kind: 'PERCENT_OFF', percent_off_permille: '100', cap_fen: '3000' })).toBe('无门槛9折 最多减30')
    expect(couponSummary({ kind: 'PERCENT_OFF', percent_off_permille: '150', threshold_fen: '10000' })).toBe('满100 8.5折')
  })
  it('says what a coupon applies to', () => {
    expect(couponScope({})).toBe('全场通用')
    expect(couponScope({ product_ids: ['p1'] })).toBe('指定商品可用')
    expect(couponScope({ category_ids: ['c1'] })).toBe('指定分类或商品可用')
  })
})

describe('validity', () => {
  it('shows Shanghai calendar days', () => {
    // 16:30 UTC is already the next day in Shanghai.
    expect(shanghaiDate('2026-12-03T16:30:00Z')).toBe('2026.12.04')
    expect(shanghaiDate('')).toBe('')
    expect(shanghaiDate('1970-01-01T00:00:00Z')).toBe('')
  })
  it('gives a period, an end, or days after the claim', () => {
    expect(validity({ valid_from: '2026-12-01T00:00:00Z', valid_to: '2026-12-10T00:00:00Z' })).toBe('2026.12.01 - 2026.12.10')
    expect(validity({ valid_to: '2026-12-10T00:00:00Z' })).toBe('2026.12.10 前有效')
    expect(validity({ valid_days: 7 })).toBe('领取后 7 天内有效')
    expect(validity({})).toBe('')
  })
})

describe('offers in the coupon centre', () => {
  const tpl = { per_member_limit: '1' }
  it('can be claimed, claimed again under the limit, claimed up to the limit, or sold out', () => {
    expect(offerState({ held: '0', remaining: '10', template: tpl })).toBe('claim')
    expect(offerState({ held: '1', remaining: '10', template: { per_member_limit: '3' } })).toBe('again')
    expect(offerState({ held: '1', remaining: '10', template: tpl })).toBe('claimed')
    expect(offerState({ held: '0', remaining: '0', template: tpl })).toBe('soldOut')
    // Holding the limit matters more than none being left.
    expect(offerState({ held: '1', remaining: '0', template: tpl })).toBe('claimed')
    expect(offerState({ template: tpl })).toBe('soldOut')
  })
  it('learns from a refused claim', () => {
    expect(stateAfterRefusal('COUPON_LIMIT_REACHED')).toBe('claimed')
    expect(stateAfterRefusal('COUPON_SOLD_OUT')).toBe('soldOut')
    expect(stateAfterRefusal('COUPON_TEMPLATE_ENDED')).toBeNull()
  })
  it('explains refusals in Chinese', () => {
    const body = (reason: string) => ({ code: 9, message: 'x', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason }] })
    expect(describeError(toApiError(400, body('COUPON_LIMIT_REACHED')))).toBe('已达到每人领取上限，不能再领了')
    expect(describeError(toApiError(429, body('COUPON_SOLD_OUT')))).toBe('优惠券已被抢光了')
    expect(describeError(toApiError(400, body('COUPON_BELOW_THRESHOLD')))).toBe('未达到优惠券的使用门槛')
    expect(describeError(toApiError(404, body('COUPON_CODE_NOT_FOUND')))).toBe('兑换码不存在，请检查后重试')
  })
})

describe('coupons at checkout', () => {
  it('reads the coupons a quote applied from its discounts', () => {
    const discounts = [
      { source: 'member_level', amount_fen: '500' },
      { source: 'coupon', id: 'c1', amount_fen: '2000' },
      { source: 'coupon', id: 'c2', amount_fen: '0' },
      { source: 'points', amount_fen: '100' },
      { source: 'coupon', id: 'c3', amount_fen: '300' },
    ]
    expect(appliedCoupons(discounts)).toEqual([
      { id: 'c1', amountFen: 2000 },
      { id: 'c3', amountFen: 300 },
    ])
    expect(appliedCoupons(undefined)).toEqual([])
  })
  it('knows which coupons cover which lines', () => {
    const lines = [{ product_id: 'p1', category_id: 'c1' }]
    expect(covers({}, lines)).toBe(true)
    expect(covers({ product_ids: ['p1'] }, lines)).toBe(true)
    expect(covers({ category_ids: ['c1'] }, lines)).toBe(true)
    expect(covers({ product_ids: ['p2'], category_ids: ['c2'] }, lines)).toBe(false)
  })
  it('says how far the covered lines are from a threshold, after the discounts that come before coupons', () => {
    const lines = [
      // 150 at catalogue, 15 off for the member level, 20 off by a coupon and 3 by points.
      { product_id: 'p1', category_id: 'c1', subtotal_fen: '15000', discounts: [{ source: 'member_level', amount_fen: '1500' }, { source: 'coupon', amount_fen: '2000' }, { source: 'points', amount_fen: '300' }] },
      { product_id: 'p2', category_id: 'c2', subtotal_fen: '8000', discounts: [] },
    ]
    expect(shortOfThreshold({ threshold_fen: '10000' }, lines)).toBe(0)
    expect(shortOfThreshold({ threshold_fen: '30000' }, lines)).toBe(30000 - 13500 - 8000)
    expect(shortOfThreshold({ threshold_fen: '15000', product_ids: ['p1'] }, lines)).toBe(1500)
    expect(shortOfThreshold({ threshold_fen: '5000', category_ids: ['c9'] }, lines)).toBe(5000)
    expect(shortOfThreshold({ threshold_fen: '0' }, [])).toBe(0)
  })
  it('uses a coupon that does not stack alone', () => {
    const all = [
      { id: 'a', stackable: true },
      { id: 'b', stackable: true },
      { id: 'solo', stackable: false },
    ]
    expect(toggleChoice([], 'a', all)).toEqual(['a'])
    expect(toggleChoice(['a'], 'b', all)).toEqual(['a', 'b'])
    expect(toggleChoice(['a', 'b'], 'solo', all)).toEqual(['solo'])
    expect(toggleChoice(['solo'], 'a', all)).toEqual(['a'])
    expect(toggleChoice(['a', 'b'], 'a', all)).toEqual(['b'])
    expect(toggleChoice(['solo'], 'solo', all)).toEqual([])
  })
})
