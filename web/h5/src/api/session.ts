// The shopper's session: access and refresh tokens kept in localStorage,
// and a fetch that adds the access token, refreshes it once when the gateway
// says it has expired, and repeats the request, so the page never notices.

export interface Tokens {
  access: string
  refresh: string
}

export interface TokenStore {
  get(): Tokens | null
  set(t: Tokens | null): void
}

const KEY = 'siyu.tokens'

export function localTokenStore(storage: Storage = globalThis.localStorage): TokenStore {
  return {
    get() {
      try {
        const raw = storage.getItem(KEY)
        if (!raw) return null
        const t = JSON.parse(raw) as Tokens
        return t.access && t.refresh ? t : null
      } catch {
        return null
      }
    },
    set(t) {
      if (t) storage.setItem(KEY, JSON.stringify(t))
      else storage.removeItem(KEY)
    },
  }
}

export interface AuthFetchOptions {
  store: TokenStore
  /** origin of the gateway; "" in the browser means the page's own origin */
  baseUrl: string
  fetch?: (req: Request) => Promise<Response>
  /** called once a refresh fails: the session is over and tokens are gone */
  onSessionEnded?: () => void
}

// Reasons of a 401 that a fresh access token can cure. A refresh token that
// was revoked or reused answers 401 from /v1/auth/refresh, which ends the session.
const REFRESHABLE = new Set(['TOKEN_EXPIRED', 'TOKEN_INVALID', 'SESSION_REVOKED', ''])

async function reasonOf401(res: Response): Promise<string> {
  try {
    const body = (await res.clone().json()) as { details?: Array<{ reason?: string }> }
    return body.details?.find((d) => d.reason)?.reason ?? ''
  } catch {
    return ''
  }
}

export function createAuthFetch(o: AuthFetchOptions): (req: Request) => Promise<Response> {
  const send = o.fetch ?? ((r: Request) => globalThis.fetch(r))
  // One refresh at a time: the rotating refresh token is single-use, so
  // parallel requests that all see TOKEN_EXPIRED must share one refresh.
  let pending: Promise<Tokens | null> | null = null

  async function refresh(old: Tokens): Promise<Tokens | null> {
    const res = await send(
      new Request(`${o.baseUrl}/v1/auth/refresh`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: old.refresh }),
      }),
    ).catch(() => null)
    if (!res) return old // network trouble: keep the session, the caller sees the 401
    if (!res.ok) {
      // Another tab may have rotated the token meanwhile; keep what it stored.
      const now = o.store.get()
      if (now && now.refresh !== old.refresh) return now
      o.store.set(null)
      o.onSessionEnded?.()
      return null
    }
    const body = (await res.json()) as { access_token?: string; refresh_token?: string }
    if (!body.access_token || !body.refresh_token) return null
    const next = { access: body.access_token, refresh: body.refresh_token }
    o.store.set(next)
    return next
  }

  function withToken(req: Request, token: string | undefined): Request {
    const r = new Request(req)
    if (token) r.headers.set('Authorization', `Bearer ${token}`)
    return r
  }

  return async function authFetch(req: Request): Promise<Response> {
    const spare = req.clone() // the body can be read once; keep a copy for a retry
    const tokens = o.store.get()
    const res = await send(withToken(req, tokens?.access))
    if (res.status !== 401 || !tokens || req.url.endsWith('/v1/auth/refresh')) return res
    if (!REFRESHABLE.has(await reasonOf401(res))) return res
    // If another request already refreshed, use its token without refreshing again.
    const current = o.store.get()
    let fresh: Tokens | null
    if (current && current.access !== tokens.access) {
      fresh = current
    } else {
      pending ??= refresh(tokens).finally(() => {
        pending = null
      })
      fresh = await pending
    }
    if (!fresh || fresh.access === tokens.access) return res
    return send(withToken(spare, fresh.access))
  }
}
