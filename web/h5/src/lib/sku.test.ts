import { describe, expect, it } from 'vitest'
import { optionAvailable, pickedSku, specText } from './sku'

const attrs = [
  { name: '颜色', options: ['红', '蓝'] },
  { name: '尺码', options: ['S', 'M'] },
]
const skus = [
  { id: 'p-R-S', specs: { 颜色: '红', 尺码: 'S' }, stock: '3' },
  { id: 'p-R-M', specs: { 颜色: '红', 尺码: 'M' }, stock: '0' },
  { id: 'p-B-S', specs: { 颜色: '蓝', 尺码: 'S' }, stock: '1' },
]

describe('SKU picker', () => {
  it('needs a value for every attribute before naming a SKU', () => {
    expect(pickedSku(skus, attrs, { 颜色: '红' })).toBeUndefined()
    expect(pickedSku(skus, attrs, { 颜色: '红', 尺码: 'S' })?.id).toBe('p-R-S')
  })
  it('strikes out options that lead only to sold-out or missing SKUs', () => {
    expect(optionAvailable(skus, { 颜色: '红' }, '尺码', 'S')).toBe(true)
    expect(optionAvailable(skus, { 颜色: '红' }, '尺码', 'M')).toBe(false) // sold out
    expect(optionAvailable(skus, { 颜色: '蓝' }, '尺码', 'M')).toBe(false) // no such SKU
    expect(optionAvailable(skus, {}, '颜色', '蓝')).toBe(true)
    // Changing a choice already made is judged against the other choices only.
    expect(optionAvailable(skus, { 颜色: '红', 尺码: 'S' }, '颜色', '蓝')).toBe(true)
  })
  it('treats a product without attributes as its single SKU', () => {
    expect(pickedSku([{ id: 'only', stock: '2' }], [], {})?.id).toBe('only')
  })
  it('writes the chosen values in attribute order', () => {
    expect(specText(attrs, { 尺码: 'M', 颜色: '红' })).toBe('红 / M')
  })
})
