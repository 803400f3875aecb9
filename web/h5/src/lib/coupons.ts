// How coupons read in the storefront: the big value on the left of a coupon
// ("¥20", "8.5折"), its condition, scope and validity, what an offer in the
// coupon centre lets the shopper do, and which coupons a quote applied.
// Amounts arrive as int64 fen strings; nothing here goes through floats.
import { messages as m, fill } from '../i18n'
import { fenNumber, type Fen } from './money'

/** The fields templates and held coupons share. */
export interface CouponRule {
  kind?: string
  amount_off_fen?: Fen
  percent_off_permille?: Fen
  cap_fen?: Fen
  threshold_fen?: Fen
  category_ids?: string[]
  product_ids?: string[]
  stackable?: boolean
  summary?: string
}

/** shortYuan writes fen as yuan without needless decimals: 2000 → "20", 2050 → "20.5", 5 → "0.05". */
export function shortYuan(v: Fen): string {
  const n = BigInt(fenNumber(v))
  const neg = n < 0n
  const abs = neg ? -n : n
  const whole = (abs / 100n).toString()
  const cents = abs % 100n
  const frac = cents === 0n ? '' : '.' + cents.toString().padStart(2, '0').replace(/0$/, '')
  return (neg ? '-' : '') + whole + frac
}

/** discountWords turns thousandths off into the 折 a shopper reads: 150 → "8.5", 100 → "9", 125 → "8.75". */
export function discountWords(permilleOff: Fen): string {
  const pay = 1000 - fenNumber(permilleOff)
  if (pay <= 0 || pay >= 1000) return ''
  const whole = Math.floor(pay / 100)
  const rest = String(pay % 100).padStart(2, '0').replace(/0+$/, '')
  return rest ? `${whole}.${rest}` : String(whole)
}

/** couponValue is the big figure on a coupon: "¥20" for an amount off, "8.5折" for a percentage. */
export function couponValue(c: CouponRule): { amount: string; unit: 'yuan' | 'zhe' } {
  if (c.kind === 'PERCENT_OFF') return { amount: discountWords(c.percent_off_permille), unit: 'zhe' }
  return { amount: shortYuan(c.amount_off_fen), unit: 'yuan' }
}

/** couponCondition says when it can be used: "满200可用", "无门槛", with the cap of a percentage. */
export function couponCondition(c: CouponRule): string {
  const threshold = fenNumber(c.threshold_fen)
  const parts = [threshold > 0 ? fill(m.coupons.threshold, { n: shortYuan(threshold) }) : m.coupons.noThreshold]
  if (c.kind === 'PERCENT_OFF' && fenNumber(c.cap_fen) > 0) parts.push(fill(m.coupons.cap, { n: shortYuan(c.cap_fen) }))
  return parts.join(' ')
}

/** couponSummary is the service's words for the rule ("满200减20"), or the same words made here when it sent none. */
export function couponSummary(c: CouponRule): string {
  if (c.summary) return c.summary
  const threshold = fenNumber(c.threshold_fen)
  const head = threshold > 0 ? `满${shortYuan(threshold)}` : '无门槛'
  if (c.kind === 'PERCENT_OFF') {
    const cap = fenNumber(c.cap_fen) > 0 ? ` 最多减${shortYuan(c.cap_fen)}` : ''
    return `${head}${threshold > 0 ? ' ' : ''}${discountWords(c.percent_off_permille)}折${cap}`
  }
  return `${head}减${shortYuan(c.amount_off_fen)}`
}

/** couponScope says what it applies to. */
export function couponScope(c: CouponRule): string {
  if (!c.product_ids?.length && !c.category_ids?.length) return m.coupons.scopeAll
  return c.product_ids?.length && !c.category_ids?.length ? m.coupons.scopeProducts : m.coupons.scopeSome
}

/** shanghaiDate is a timestamp's calendar day in Shanghai, as "2026.12.03". */
export function shanghaiDate(ts?: string): string {
  if (!ts) return ''
  const d = new Date(ts)
  if (Number.isNaN(d.getTime()) || d.getTime() <= 0) return ''
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(d).replace(/-/g, '.')
}

/** validity says how long a coupon or a template's coupons last. */
export function validity(v: { valid_from?: string; valid_to?: string; valid_days?: number }): string {
  const from = shanghaiDate(v.valid_from)
  const to = shanghaiDate(v.valid_to)
  if (to) return from ? `${from} - ${to}` : fill(m.coupons.until, { date: to })
  if (v.valid_days) return fill(m.coupons.validDays, { n: v.valid_days })
  return ''
}

export type OfferState = 'claim' | 'again' | 'claimed' | 'soldOut'

/**
 * offerState is what the coupon centre's button does: claim one, claim
 * another while under the per-member limit, nothing once the limit is held,
 * nothing when none are left.
 */
export function offerState(o: { held?: Fen; remaining?: Fen; template?: { per_member_limit?: Fen } }): OfferState {
  const held = fenNumber(o.held)
  const limit = fenNumber(o.template?.per_member_limit)
  if (limit > 0 && held >= limit) return 'claimed'
  if (fenNumber(o.remaining) <= 0) return 'soldOut'
  return held > 0 ? 'again' : 'claim'
}

/** What a refused claim says about the offer, so its card can show it. */
export function stateAfterRefusal(reason: string): OfferState | null {
  if (reason === 'COUPON_LIMIT_REACHED') return 'claimed'
  if (reason === 'COUPON_SOLD_OUT') return 'soldOut'
  return null
}

/** The coupons a quote applied, in its order: one discount of source "coupon" per coupon. */
export function appliedCoupons(discounts: Array<{ source?: string; id?: string; amount_fen?: Fen }> | undefined): Array<{ id: string; amountFen: number }> {
  return (discounts ?? [])
    .filter((d) => d.source === 'coupon' && d.id && fenNumber(d.amount_fen) > 0)
    .map((d) => ({ id: d.id!, amountFen: fenNumber(d.amount_fen) }))
}

/** covers reports whether a coupon's scope takes in any of the lines. */
export function covers(c: CouponRule, lines: Array<{ product_id?: string; category_id?: string }>): boolean {
  if (!c.product_ids?.length && !c.category_ids?.length) return true
  return lines.some((l) => (l.product_id && c.product_ids?.includes(l.product_id)) || (l.category_id && c.category_ids?.includes(l.category_id)))
}

/** A quote's line as coupons see it. */
export interface QuotedLine {
  product_id?: string
  category_id?: string
  subtotal_fen?: Fen
  discounts?: Array<{ source?: string; amount_fen?: Fen }>
}

/**
 * shortOfThreshold is how much more the lines a coupon covers must come to
 * before it can be used (0 when they reach its threshold). Coupons count
 * what is left after the discounts that come before them (member level,
 * timed prices, full reductions), so a line's coupon and points discounts
 * are added back. The service decides; this only tells the shopper early.
 */
export function shortOfThreshold(c: CouponRule, lines: QuotedLine[]): number {
  const threshold = fenNumber(c.threshold_fen)
  if (threshold <= 0) return 0
  let eligible = 0
  for (const l of lines) {
    if (!covers(c, [l])) continue
    eligible += fenNumber(l.subtotal_fen)
    for (const d of l.discounts ?? []) if (d.source !== 'coupon' && d.source !== 'points') eligible -= fenNumber(d.amount_fen)
  }
  return Math.max(0, threshold - eligible)
}

/**
 * toggleChoice adds or removes a coupon from the picker's choice. A coupon
 * that does not stack is used alone, so choosing it drops the others and
 * choosing a stackable one drops a lone one; the service would refuse the
 * mix with COUPON_NOT_STACKABLE anyway, this only saves the round trip.
 */
export function toggleChoice(chosen: string[], id: string, all: Array<{ id?: string; stackable?: boolean }>): string[] {
  if (chosen.includes(id)) return chosen.filter((x) => x !== id)
  const c = all.find((x) => x.id === id)
  if (!c?.stackable) return [id]
  const stacks = new Set(all.filter((x) => x.stackable).map((x) => x.id))
  return [...chosen.filter((x) => stacks.has(x)), id]
}

/** Coupon statuses as tabs, in the order shoppers look for them. */
export const STATUSES = ['UNUSED', 'LOCKED', 'USED', 'EXPIRED'] as const
export type CouponStatus = (typeof STATUSES)[number]
