/**
 * inAppPath accepts a redirect target only when it is a page of this app
 * ("/cart", "/product/p-1?inviter=X"); anything that could leave the site
 * ("//host", "/\host", "https://…") gives the fallback.
 */
export function inAppPath(v: unknown, fallback: string): string {
  if (typeof v !== 'string' || !v.startsWith('/')) return fallback
  if (v.startsWith('//') || v.startsWith('/\\') || /[\u0000-\u001f]/.test(v)) return fallback
  return v
}
