// The cart of a shopper who has not logged in, kept on the device. It is
// handed to the order service (MergeGuestCart) right after the login, so
// nothing picked as a guest is lost.

export interface GuestLine {
  product_id: string
  sku_id: string
  quantity: number
  title: string
  spec_text: string
  image_url: string
  unit_price_fen: string
}

const KEY = 'siyu.guest-cart'
const MAX_LINES = 100

export function guestLines(storage: Storage = localStorage): GuestLine[] {
  try {
    const v = JSON.parse(storage.getItem(KEY) ?? '[]') as GuestLine[]
    return Array.isArray(v) ? v.filter((l) => l && l.sku_id && l.quantity > 0) : []
  } catch {
    return []
  }
}

function save(lines: GuestLine[], storage: Storage) {
  if (lines.length) storage.setItem(KEY, JSON.stringify(lines))
  else storage.removeItem(KEY)
}

/** addGuestLine adds quantity of a SKU, merging with a line already there. */
export function addGuestLine(line: GuestLine, storage: Storage = localStorage): GuestLine[] {
  const lines = guestLines(storage)
  const same = lines.find((l) => l.sku_id === line.sku_id)
  if (same) same.quantity += line.quantity
  else lines.unshift(line)
  const kept = lines.slice(0, MAX_LINES)
  save(kept, storage)
  return kept
}

export function setGuestQuantity(skuId: string, quantity: number, storage: Storage = localStorage): GuestLine[] {
  const lines = guestLines(storage)
    .map((l) => (l.sku_id === skuId ? { ...l, quantity } : l))
    .filter((l) => l.quantity > 0)
  save(lines, storage)
  return lines
}

export function clearGuestCart(storage: Storage = localStorage) {
  storage.removeItem(KEY)
}
