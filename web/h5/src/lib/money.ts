// Money arrives as integer fen, often as a decimal string (int64 in JSON).
// It is shown as yuan with two decimals without ever going through floating
// point, so 1999 fen is always "¥19.99" and large sums stay exact.

export type Fen = string | number | bigint | null | undefined

function toBig(v: Fen): bigint {
  if (v === null || v === undefined || v === '') return 0n
  if (typeof v === 'bigint') return v
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 0n
    return BigInt(Math.trunc(v))
  }
  const s = v.trim()
  return /^-?\d+$/.test(s) ? BigInt(s) : 0n
}

/** yuan formats fen as "19.99" (no currency sign). */
export function yuan(v: Fen): string {
  const n = toBig(v)
  const neg = n < 0n
  const abs = neg ? -n : n
  const whole = abs / 100n
  const cents = (abs % 100n).toString().padStart(2, '0')
  return `${neg ? '-' : ''}${whole.toString()}.${cents}`
}

/** money formats fen as "¥19.99", "-¥5.00" for amounts taken off. */
export function money(v: Fen): string {
  const s = yuan(v)
  return s.startsWith('-') ? `-¥${s.slice(1)}` : `¥${s}`
}

/** fenNumber is for arithmetic on amounts the UI compares or sums. */
export function fenNumber(v: Fen): number {
  return Number(toBig(v))
}
