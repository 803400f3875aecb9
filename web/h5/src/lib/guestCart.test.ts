import { beforeEach, describe, expect, it } from 'vitest'
import { addGuestLine, clearGuestCart, guestLines, setGuestQuantity, type GuestLine } from './guestCart'

const line = (sku: string, quantity = 1): GuestLine => ({
  product_id: 'p-1',
  sku_id: sku,
  quantity,
  title: '连衣裙',
  spec_text: '红 / M',
  image_url: '',
  unit_price_fen: '7600',
})

describe('guest cart', () => {
  beforeEach(() => clearGuestCart())
  it('adds lines and merges the same SKU', () => {
    addGuestLine(line('a'))
    addGuestLine(line('b', 2))
    addGuestLine(line('a', 3))
    expect(guestLines().map((l) => [l.sku_id, l.quantity])).toEqual([
      ['b', 2],
      ['a', 4],
    ])
  })
  it('drops a line whose quantity goes to zero', () => {
    addGuestLine(line('a'))
    setGuestQuantity('a', 0)
    expect(guestLines()).toEqual([])
  })
  it('survives junk in storage', () => {
    localStorage.setItem('siyu.guest-cart', '{"not":"a list"}')
    expect(guestLines()).toEqual([])
    localStorage.setItem('siyu.guest-cart', 'oops')
    expect(guestLines()).toEqual([])
  })
})
