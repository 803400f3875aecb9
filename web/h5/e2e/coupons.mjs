// Coupons in a real browser: the shopper opens the coupon centre from the
// home page, is told plainly when the last coupon of an offer went to
// someone else, claims a coupon from the product page's offers, finds it in
// my coupons (reached from the member page) and redeems an exchange code
// there; checkout applies the best coupon by itself, the picker takes it off
// and puts it back, the order is paid in the sandbox and the coupon shows as
// used. The caller (cmd/siyu/e2e_h5_coupons_test.go) makes the shop:
//
//   BASE_URL=…  ACCESS=… REFRESH=…   the shopper's session
//   PRODUCT=…                        a product in the offer's scope, in the shopper's cart
//   OFFER=…                          a claimable template (满100减20)
//   SCARCE=… OTHER=…                 a template with one coupon left, and another member's token to take it
//   CODE=…                           an exchange code of a third template
import { mkdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launch, phone } from './browser.mjs'

const base = process.env.BASE_URL ?? 'http://127.0.0.1:8080'
const env = (k) => {
  const v = process.env[k]
  if (!v) throw new Error(`${k} is required`)
  return v
}
const [product, offer, scarce, other, code] = ['PRODUCT', 'OFFER', 'SCARCE', 'OTHER', 'CODE'].map(env)
const out = process.env.OUT ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'test-output')
mkdirSync(out, { recursive: true })

const browser = await launch()
const context = await browser.newContext({ ...phone, baseURL: base })
context.setDefaultTimeout(15000)
await context.addInitScript(([access, refresh]) => {
  if (!localStorage.getItem('siyu.tokens')) localStorage.setItem('siyu.tokens', JSON.stringify({ access, refresh }))
}, [env('ACCESS'), env('REFRESH')])
const page = await context.newPage()
const problems = []
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
page.on('response', (r) => {
  if (r.status() >= 500) problems.push(`HTTP ${r.status()} ${r.url()}`)
})
let n = 0
const shot = async (name) => page.screenshot({ path: join(out, `coupon-${String(++n).padStart(2, '0')}-${name}.png`) })
const step = (s) => console.error(`· ${s}`)
const see = (text) => page.getByText(text, { exact: false }).first().waitFor({ state: 'visible' })
const textOf = async (sel) => (await page.locator(sel).innerText()).trim()
async function expectText(sel, want) {
  for (let i = 0; ; i++) {
    const got = await textOf(sel).catch(() => '')
    if (got === want) return
    if (i >= 50) throw new Error(`${sel} shows "${got}", want "${want}"`)
    await page.waitForTimeout(200)
  }
}

try {
  step('the coupon centre, from the home page')
  await page.goto('/')
  await page.locator('[data-test=go-coupons]').getByText('领券中心').waitFor()
  await shot('home')
  await page.locator('[data-test=go-coupons]').click()
  await page.waitForURL(/\/coupons$/)
  const card = (id) => page.locator(`[data-offer="${id}"]`)
  await card(offer).getByText('满100减20').first().waitFor()
  await card(offer).getByText('剩余 10 张').waitFor()
  await card(scarce).getByText('剩余 1 张').waitFor()
  await shot('centre')

  step('the last coupon of an offer goes to someone else first')
  const taken = await fetch(`${base}/v1/coupons/offers/${scarce}:claim`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${other}`, 'Content-Type': 'application/json' },
    body: '{}',
  })
  if (!taken.ok) throw new Error(`the other member's claim: HTTP ${taken.status} ${await taken.text()}`)
  await card(scarce).locator('[data-test=claim]').click()
  await see('优惠券已被抢光了')
  await page.locator(`[data-offer="${scarce}"][data-state=soldOut]`).getByText('已抢光').waitFor()
  await shot('sold-out')

  step("the product page's offers; claim one")
  await page.goto(`/product/${product}`)
  await page.locator('[data-test=product-coupons]').getByText('满100减20').waitFor()
  await shot('product')
  await page.locator('[data-test=product-coupons]').click()
  await page.waitForURL(/\/coupons\?product_id=/)
  await see('本商品可领优惠券')
  await card(offer).locator('[data-test=claim]').click()
  await see('领取成功')
  await page.locator(`[data-offer="${offer}"][data-state=claimed]`).getByText('已领取').waitFor()
  await card(offer).getByText('已领 1 张').waitFor()
  if (!(await card(offer).locator('[data-test=claim]').isDisabled())) throw new Error('a claimed offer can be claimed again')
  await shot('claimed')

  step('my coupons, from the member page')
  await page.goto('/me')
  await page.locator('[data-test=unused-coupons]').getByText('1').waitFor()
  await shot('me')
  await page.locator('[data-test=go-my-coupons]').click()
  await page.waitForURL(/\/my-coupons/)
  await page.locator('[data-status=UNUSED]').getByText('满100减20').waitFor()

  step('redeem an exchange code')
  await page.locator('[data-test=redeem-code] input').fill('NO-SUCH-CODE')
  await page.locator('[data-test=redeem]').click()
  await see('兑换码不存在')
  await page.locator('[data-test=redeem-code] input').fill(code)
  await page.locator('[data-test=redeem]').click()
  await see('兑换成功')
  await page.locator('[data-status=UNUSED]').getByText('无门槛减5').waitFor()
  if ((await page.locator('[data-status=UNUSED]').count()) !== 2) throw new Error('my coupons should list two unused coupons')
  await shot('mine')

  step('checkout applies the best coupon')
  await page.goto('/checkout')
  await page.locator('[data-test=breakdown]').waitFor()
  await expectText('[data-test=coupon-value]', '-¥20.00')
  await page.locator('[data-discount=coupon]').getByText('优惠券（满100减20）').waitFor()
  await see('已为你选择最优优惠')
  await expectText('[data-test=total]', '¥130.00')
  await shot('checkout-best')

  step('the picker takes the coupon off and puts it back')
  await page.locator('[data-test=coupons]').click()
  await page.locator('[data-test=coupon-picker]').getByText('选择优惠券').waitFor()
  await page.locator('[data-test=pick-none]').click()
  await page.locator('[data-test=pick-confirm]').click()
  await expectText('[data-test=coupon-value]', '不使用优惠券')
  await expectText('[data-test=total]', '¥150.00')
  if (await page.locator('[data-discount=coupon]').count()) throw new Error('no coupon chosen, but the breakdown shows one')
  await page.locator('[data-test=coupons]').click()
  // Neither coupon stacks: choosing one drops the other.
  const pick = (text) => page.locator('[data-pick]').filter({ hasText: text })
  await pick('无门槛减5').click()
  await pick('无门槛减5').locator('.van-checkbox__icon--checked').waitFor()
  await pick('满100减20').click()
  await pick('满100减20').locator('.van-checkbox__icon--checked').waitFor()
  if (await pick('无门槛减5').locator('.van-checkbox__icon--checked').count()) throw new Error('two coupons that do not stack are both chosen')
  await page.waitForTimeout(300) // the checkboxes' transition, for the screenshot
  await shot('picker')
  await page.locator('[data-test=pick-confirm]').click()
  await expectText('[data-test=coupon-value]', '-¥20.00')
  await expectText('[data-test=total]', '¥130.00')
  await page.locator('[data-test=coupon-picker]').waitFor({ state: 'hidden' })
  await shot('checkout-chosen')
  const total = await textOf('[data-test=total]')
  await page.locator('[data-test=submit-order]').click()

  step('pay in the sandbox')
  await page.waitForURL(/\/pay\//)
  await see('沙箱支付')
  const amount = await textOf('[data-test=pay-amount]')
  if (amount !== total) throw new Error(`cashier asks ${amount}, checkout said ${total}`)
  await page.locator('[data-test=pay]').click()
  await page.waitForURL(/\/result/)
  await page.locator('[data-test=pay-result]').getByText('支付成功').waitFor()
  const orderId = page.url().match(/\/pay\/([^/]+)\/result/)?.[1]

  step('the coupon shows as used')
  // Marketing spends the coupon when it sees the order paid, a moment later.
  for (let i = 0; ; i++) {
    await page.goto('/my-coupons?status=USED')
    await page.locator('[data-state=loading]').waitFor({ state: 'detached' })
    if (await page.locator('[data-status=USED]').filter({ hasText: '满100减20' }).count()) break
    if (i >= 30) throw new Error('the paid coupon never showed as used')
    await page.waitForTimeout(500)
  }
  await page.locator('[data-status=USED]').getByText('已使用').waitFor()
  await shot('used')
  await page.goto('/my-coupons')
  await page.locator('[data-status=UNUSED]').getByText('无门槛减5').waitFor()
  if ((await page.locator('[data-status=UNUSED]').count()) !== 1) throw new Error('the unused tab should keep only the redeemed coupon')

  if (problems.length) throw new Error(problems.join('\n'))
  console.log(JSON.stringify({ ok: true, order_id: orderId, total, screenshots: out }))
} catch (e) {
  await shot('failure').catch(() => {})
  console.error(`coupons walk failed at ${page.url()}: ${e.stack ?? e}`)
  if (problems.length) console.error(problems.join('\n'))
  process.exitCode = 1
} finally {
  await browser.close()
}
