import createClient from 'openapi-fetch'
import type { paths, components } from './schema.gen'
import { createAuthFetch, localTokenStore, type TokenStore } from './session'
import { toApiError, ApiError } from '../lib/errors'

export type Schemas = components['schemas']
export type { paths }

export interface ApiOptions {
  baseUrl: string
  store: TokenStore
  fetch?: (req: Request) => Promise<Response>
  onSessionEnded?: () => void
}

/** createApi builds the typed client: every path, parameter and body comes from the gateway's OpenAPI document. */
export function createApi(o: ApiOptions) {
  return createClient<paths>({
    baseUrl: o.baseUrl,
    fetch: createAuthFetch({ store: o.store, baseUrl: o.baseUrl, fetch: o.fetch, onSessionEnded: o.onSessionEnded }),
  })
}

export type Api = ReturnType<typeof createApi>

/**
 * unwrap turns openapi-fetch's {data, error, response} into the data or a
 * thrown ApiError, so pages write `const p = await unwrap(api.GET(...))`.
 * A network failure becomes an ApiError with status 0.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response }
  try {
    r = await call
  } catch (e) {
    if (e instanceof ApiError) throw e
    throw new ApiError(0, '', String(e))
  }
  if (!r.response.ok || r.error !== undefined) throw toApiError(r.response.status, r.error)
  return r.data as T
}

let sessionEnded: () => void = () => {}

/** onSessionEnded sets what happens when a refresh fails (the router sends the shopper to log in). */
export function onSessionEnded(fn: () => void) {
  sessionEnded = fn
}

export const tokens: TokenStore = typeof localStorage === 'undefined' ? { get: () => null, set: () => {} } : localTokenStore()

export const api: Api = createApi({
  baseUrl: typeof location === 'undefined' ? 'http://localhost' : location.origin,
  store: tokens,
  onSessionEnded: () => sessionEnded(),
})
