import zhCN from './zh-CN'

export type Messages = typeof zhCN

// One locale today; the shape is typed so another file can be added beside it.
export const messages: Messages = zhCN

/** fill replaces {name} placeholders. */
export function fill(text: string, params: Record<string, string | number> = {}): string {
  return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m))
}

/** reasonText is the plain message for an ErrorInfo reason, or "" when unknown. */
export function reasonText(reason: string): string {
  return (reason && messages.reasons[reason]) || ''
}
