import { describe, expect, it } from 'vitest'
import { inAppPath } from './redirect'

describe('inAppPath', () => {
  it('keeps pages of the app, query included', () => {
    expect(inAppPath('/cart', '/me')).toBe('/cart')
    expect(inAppPath('/product/p-1?inviter=ABC', '/me')).toBe('/product/p-1?inviter=ABC')
  })
  it('refuses anything that could leave the site', () => {
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'cart', '', '/x\n//y', undefined, ['/cart']]) {
      expect(inAppPath(bad, '/me')).toBe('/me')
    }
  })
})
