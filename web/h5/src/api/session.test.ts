import { describe, expect, it, vi } from 'vitest'
import { createAuthFetch, localTokenStore, type Tokens, type TokenStore } from './session'

const base = 'http://shop.test'

function memoryStore(initial: Tokens | null): TokenStore & { value: Tokens | null } {
  const s = {
    value: initial,
    get: () => s.value,
    set: (t: Tokens | null) => {
      s.value = t
    },
  }
  return s
}

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}
const expired = () => json(401, { code: 16, message: 'token expired', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'TOKEN_EXPIRED' }] })

// A fake gateway: access tokens named in `valid` pass; /v1/auth/refresh rotates.
function gateway(valid: Set<string>, opts: { refreshFails?: boolean } = {}) {
  const calls: Array<{ url: string; auth: string | null; body: string }> = []
  let n = 0
  const fetch = vi.fn(async (req: Request) => {
    const body = await req.text()
    calls.push({ url: req.url, auth: req.headers.get('Authorization'), body })
    if (req.url.endsWith('/v1/auth/refresh')) {
      await new Promise((r) => setTimeout(r, 5))
      if (opts.refreshFails) return json(401, { code: 16, details: [{ reason: 'REFRESH_TOKEN_REUSED' }] })
      n++
      valid.add(`access-${n}`)
      return json(200, { access_token: `access-${n}`, refresh_token: `refresh-${n}` })
    }
    const token = req.headers.get('Authorization')?.replace('Bearer ', '') ?? ''
    if (!valid.has(token)) return expired()
    return json(200, { ok: true, echo: body })
  })
  return { fetch, calls }
}

describe('createAuthFetch', () => {
  it('sends the access token', async () => {
    const store = memoryStore({ access: 'a0', refresh: 'r0' })
    const gw = gateway(new Set(['a0']))
    const f = createAuthFetch({ store, baseUrl: base, fetch: gw.fetch })
    const res = await f(new Request(`${base}/v1/members/me`))
    expect(res.status).toBe(200)
    expect(gw.calls[0]!.auth).toBe('Bearer a0')
  })

  it('refreshes an expired token once and repeats the request with its body', async () => {
    const store = memoryStore({ access: 'old', refresh: 'r0' })
    const gw = gateway(new Set())
    const f = createAuthFetch({ store, baseUrl: base, fetch: gw.fetch })
    const res = await f(new Request(`${base}/v1/cart/lines`, { method: 'POST', body: '{"sku_id":"s1"}' }))
    expect(res.status).toBe(200)
    expect((await res.json()).echo).toBe('{"sku_id":"s1"}')
    expect(store.value).toEqual({ access: 'access-1', refresh: 'refresh-1' })
    expect(gw.calls.map((c) => c.url.replace(base, ''))).toEqual(['/v1/cart/lines', '/v1/auth/refresh', '/v1/cart/lines'])
    expect(JSON.parse(gw.calls[1]!.body)).toEqual({ refresh_token: 'r0' })
    expect(gw.calls[2]!.auth).toBe('Bearer access-1')
  })

  it('shares one refresh among parallel requests (the refresh token is single-use)', async () => {
    const store = memoryStore({ access: 'old', refresh: 'r0' })
    const gw = gateway(new Set())
    const f = createAuthFetch({ store, baseUrl: base, fetch: gw.fetch })
    const all = await Promise.all([1, 2, 3, 4].map((i) => f(new Request(`${base}/v1/x/${i}`))))
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(gw.calls.filter((c) => c.url.endsWith('/v1/auth/refresh'))).toHaveLength(1)
  })

  it('ends the session when the refresh is refused, and returns the 401', async () => {
    const store = memoryStore({ access: 'old', refresh: 'r0' })
    const gw = gateway(new Set(), { refreshFails: true })
    const ended = vi.fn()
    const f = createAuthFetch({ store, baseUrl: base, fetch: gw.fetch, onSessionEnded: ended })
    const res = await f(new Request(`${base}/v1/members/me`))
    expect(res.status).toBe(401)
    expect(store.value).toBeNull()
    expect(ended).toHaveBeenCalledOnce()
  })

  it('does not refresh for guests or for refusals a new token cannot cure', async () => {
    const guest = gateway(new Set())
    const f = createAuthFetch({ store: memoryStore(null), baseUrl: base, fetch: guest.fetch })
    expect((await f(new Request(`${base}/v1/cart`))).status).toBe(401)
    expect(guest.calls).toHaveLength(1)
    expect(guest.calls[0]!.auth).toBeNull()

    const blocked = vi.fn(async () => json(401, { details: [{ reason: 'MEMBER_BLOCKED' }] }))
    const g = createAuthFetch({ store: memoryStore({ access: 'a', refresh: 'r' }), baseUrl: base, fetch: blocked })
    expect((await g(new Request(`${base}/v1/cart`))).status).toBe(401)
    expect(blocked).toHaveBeenCalledTimes(1)
  })

  it('keeps the session when the refresh cannot reach the gateway', async () => {
    const store = memoryStore({ access: 'old', refresh: 'r0' })
    const fetch = vi.fn(async (req: Request) => {
      if (req.url.endsWith('/v1/auth/refresh')) throw new TypeError('network down')
      return expired()
    })
    const f = createAuthFetch({ store, baseUrl: base, fetch })
    expect((await f(new Request(`${base}/v1/cart`))).status).toBe(401)
    expect(store.value).toEqual({ access: 'old', refresh: 'r0' })
  })
})

describe('localTokenStore', () => {
  it('round-trips tokens and ignores junk', () => {
    const s = localTokenStore(localStorage)
    s.set({ access: 'a', refresh: 'r' })
    expect(s.get()).toEqual({ access: 'a', refresh: 'r' })
    localStorage.setItem('siyu.tokens', '{not json')
    expect(s.get()).toBeNull()
    s.set(null)
    expect(localStorage.getItem('siyu.tokens')).toBeNull()
  })
})
