import { describe, expect, it, vi } from 'vitest'
import { createApi, unwrap } from './client'
import { ApiError, describe as say } from '../lib/errors'
import type { TokenStore } from './session'

const base = 'http://shop.test'
const guest: TokenStore = { get: () => null, set: () => {} }
const status = (code: number, reason: string, message = '') => ({
  code,
  message,
  details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'order.siyu.dev', metadata: { sku_id: 's1' } }],
})

function apiAnswering(res: () => Response | Promise<Response>) {
  const calls: Request[] = []
  const fetch = vi.fn(async (req: Request) => {
    calls.push(req)
    return res()
  })
  return { api: createApi({ baseUrl: base, store: guest, fetch }), calls }
}

describe('typed client', () => {
  it('builds paths, query strings and bodies from the OpenAPI types', async () => {
    const { api, calls } = apiAnswering(() => Response.json({ products: [{ id: 'p-1', price_fen: '7600' }], total_size: 1 }))
    const r = await unwrap(api.GET('/v1/products:search', { params: { query: { query: '连衣裙', order_by: 'SEARCH_ORDER_PRICE_ASC', page_size: 20 } } }))
    expect(r.products?.[0]?.price_fen).toBe('7600')
    const url = new URL(calls[0]!.url)
    expect(url.pathname).toBe('/v1/products:search')
    expect(url.searchParams.get('query')).toBe('连衣裙')
    expect(url.searchParams.get('order_by')).toBe('SEARCH_ORDER_PRICE_ASC')

    await unwrap(api.POST('/v1/orders/{order_id}:pay', { params: { path: { order_id: 'o 1' } }, body: {} }))
    expect(new URL(calls[1]!.url).pathname).toBe('/v1/orders/o%201:pay')
    expect(calls[1]!.method).toBe('POST')
  })

  it('throws the ErrorInfo reason of a refusal', async () => {
    const { api } = apiAnswering(() => Response.json(status(9, 'OUT_OF_STOCK', 'only 0 left'), { status: 400 }))
    const err = await unwrap(api.POST('/v1/cart/lines', { body: { sku_id: 's1', quantity: '1' } })).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.reason).toBe('OUT_OF_STOCK')
    expect(err.metadata).toEqual({ sku_id: 's1' })
    expect(say(err)).toBe('库存不足')
  })

  it('says something plain for unknown reasons, server faults and a lost network', async () => {
    const odd = apiAnswering(() => Response.json(status(3, 'SOMETHING_NEW'), { status: 400 }))
    expect(say(await unwrap(odd.api.GET('/v1/cart')).catch((e) => e))).toBe('请求有误，请检查后重试')
    const down = apiAnswering(() => new Response('bad gateway', { status: 502 }))
    expect(say(await unwrap(down.api.GET('/v1/cart')).catch((e) => e))).toBe('服务器开小差了，请稍后再试')
    const offline = apiAnswering(() => {
      throw new TypeError('Failed to fetch')
    })
    const err = await unwrap(offline.api.GET('/v1/cart')).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(0)
    expect(say(err)).toBe('网络不太好，请检查网络后重试')
  })
})
