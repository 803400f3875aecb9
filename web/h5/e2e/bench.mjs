// Largest contentful paint of the home page on a phone-sized headless
// Chromium: each run is a new browser context (empty cache), like a first
// visit. Prints one JSON line: {"lcp_ms": [...], "median_ms": n}.
//
//   BASE_URL=http://127.0.0.1:8080 RUNS=5 node e2e/bench.mjs
import { launch, phone } from './browser.mjs'

const base = process.env.BASE_URL ?? 'http://127.0.0.1:8080'
const runs = Math.max(1, Number(process.env.RUNS ?? 5))

const browser = await launch()
const lcps = []
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ ...phone, baseURL: base })
    const page = await context.newPage()
    await page.goto('/', { waitUntil: 'load' })
    // LCP settles once the products are in; it is final at the first input or when the page hides.
    await page.locator('[data-product]').first().waitFor({ timeout: 15000 })
    await page.waitForTimeout(300)
    const lcp = await page.evaluate(
      () =>
        new Promise((resolve) => {
          let last = 0
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) last = Math.max(last, e.startTime)
          }).observe({ type: 'largest-contentful-paint', buffered: true })
          setTimeout(() => resolve(last), 100)
        }),
    )
    lcps.push(Math.round(lcp))
    await context.close()
  }
} finally {
  await browser.close()
}
const sorted = [...lcps].sort((a, b) => a - b)
console.log(JSON.stringify({ lcp_ms: lcps, median_ms: sorted[Math.floor(sorted.length / 2)] }))
