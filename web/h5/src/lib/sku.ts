import type { Schemas } from '../api/client'

type Sku = Schemas['v1Sku']
type Attr = Schemas['v1SpecAttribute']

/** matches says whether a SKU agrees with every chosen spec value. */
export function matches(sku: Sku, chosen: Record<string, string>): boolean {
  return Object.entries(chosen).every(([k, v]) => !v || sku.specs?.[k] === v)
}

/**
 * optionState tells whether picking `value` for `attr` still leads to a SKU
 * in stock, given the other choices: options that cannot are shown disabled.
 */
export function optionAvailable(skus: Sku[], chosen: Record<string, string>, attr: string, value: string): boolean {
  const next = { ...chosen, [attr]: value }
  return skus.some((s) => matches(s, next) && Number(s.stock ?? 0) > 0)
}

/** pickedSku is the SKU once every attribute has a value. */
export function pickedSku(skus: Sku[], attrs: Attr[], chosen: Record<string, string>): Sku | undefined {
  if (attrs.some((a) => !chosen[a.name ?? ''])) return attrs.length === 0 ? skus[0] : undefined
  return skus.find((s) => matches(s, chosen))
}

/** specText is "碎花蓝 / S" for the chosen values in attribute order. */
export function specText(attrs: Attr[], chosen: Record<string, string>): string {
  return attrs.map((a) => chosen[a.name ?? '']).filter(Boolean).join(' / ')
}
