// The shopper's messages in a real browser: the member centre shows the
// unread count, the inbox shows the paid order's message and marks it read,
// message settings turn on in-app marketing, and customer service finds an
// FAQ answer, sends a message and sees the staff reply (which the test
// that runs this script posts meanwhile). The session comes in ACCESS and
// REFRESH (the caller logged in through the API).
//
//   BASE_URL=… ACCESS=… REFRESH=… node e2e/messages.mjs
import { mkdirSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launch, phone } from './browser.mjs'

const base = process.env.BASE_URL ?? 'http://127.0.0.1:8080'
const out = process.env.OUT ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'test-output')
mkdirSync(out, { recursive: true })

const browser = await launch()
const context = await browser.newContext({ ...phone, baseURL: base })
context.setDefaultTimeout(15000)
await context.addInitScript(([access, refresh]) => {
  if (!localStorage.getItem('siyu.tokens')) localStorage.setItem('siyu.tokens', JSON.stringify({ access, refresh }))
}, [process.env.ACCESS, process.env.REFRESH])
const page = await context.newPage()
const problems = []
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
page.on('response', (r) => {
  if (r.status() >= 500) problems.push(`HTTP ${r.status()} ${r.url()}`)
})
let n = 0
const shot = async (name) => page.screenshot({ path: join(out, `msg-${String(++n).padStart(2, '0')}-${name}.png`) })
const step = (s) => console.error(`· ${s}`)
const see = (text) => page.getByText(text, { exact: false }).first().waitFor({ state: 'visible' })

try {
  step('the member centre shows one unread message')
  await page.goto('/me')
  await page.locator('[data-test=unread-badge]').getByText('1').waitFor()
  await shot('me')

  step('the inbox')
  await page.locator('[data-test=go-messages]').click()
  await page.waitForURL(/\/messages$/)
  await see('1 条未读')
  await page.getByText('支付成功').first().click()
  await page.locator('[data-test=message-body]').getByText('已支付').waitFor()
  await see('0 条未读')
  await page.locator('[data-read=yes]').first().waitFor()
  await shot('inbox')

  step('message settings: in-app marketing on')
  await page.goto('/message-settings')
  await see('站内信')
  await page.locator('[data-test=consent-in_app]').click()
  await see('已保存')
  await page.locator('[data-test=consent-in_app].van-switch--on').waitFor()
  await shot('settings')

  step('customer service: an FAQ answer, then a message')
  await page.goto('/service')
  await page.locator('[data-test=faq-query] input').fill('退货')
  await page.locator('[data-test=faq-query] input').press('Enter')
  await see('如何退货？')
  await page.locator('[data-test=chat-input] input').fill('请问什么时候发货？')
  await page.locator('[data-test=chat-send]').click()
  await page.locator('[data-sender=member]').getByText('请问什么时候发货？').waitFor()
  await shot('chat-sent')

  step('the staff reply arrives')
  for (let i = 0; ; i++) {
    if (await page.locator('[data-sender=staff]').getByText('今天发货').count()) break
    if (i >= 60) throw new Error('no staff reply shown')
    await page.waitForTimeout(500)
    await page.getByText('刷新').click()
  }
  await shot('chat-reply')

  if (problems.length) throw new Error(problems.join('\n'))
  console.log(JSON.stringify({ ok: true, screenshots: out }))
} catch (e) {
  await shot('failure').catch(() => {})
  console.error(`messages walk failed at ${page.url()}: ${e.stack ?? e}`)
  if (problems.length) console.error(problems.join('\n'))
  process.exitCode = 1
} finally {
  await browser.close()
}
