import { describe, expect, it } from 'vitest'
import { money, yuan, fenNumber } from './money'

describe('money', () => {
  it('shows fen as yuan with two decimals', () => {
    expect(money(0)).toBe('¥0.00')
    expect(money(1)).toBe('¥0.01')
    expect(money(99)).toBe('¥0.99')
    expect(money(100)).toBe('¥1.00')
    expect(money(1999)).toBe('¥19.99')
    expect(money('7600')).toBe('¥76.00')
  })
  it('reads int64 strings exactly, beyond what a double holds', () => {
    expect(money('900719925474099312')).toBe('¥9007199254740993.12')
    expect(yuan(123456789012345678n)).toBe('1234567890123456.78')
  })
  it('puts the sign before the currency for amounts taken off', () => {
    expect(money(-5)).toBe('-¥0.05')
    expect(money('-1000')).toBe('-¥10.00')
  })
  it('treats missing and malformed amounts as zero, never NaN', () => {
    expect(money(undefined)).toBe('¥0.00')
    expect(money(null)).toBe('¥0.00')
    expect(money('')).toBe('¥0.00')
    expect(money('12.5')).toBe('¥0.00')
    expect(money(Number.NaN)).toBe('¥0.00')
    expect(fenNumber('250')).toBe(250)
  })
  it('drops fractions of a fen rather than rounding through floats', () => {
    expect(money(10.9)).toBe('¥0.10')
  })
})
