import { reasonText, messages } from '../i18n'

// ApiError is what every failed call throws: the HTTP status, the gateway's
// google.rpc.Status code and the ErrorInfo reason, if any.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly metadata: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

interface StatusBody {
  code?: number
  message?: string
  details?: Array<{ '@type'?: string; reason?: string; metadata?: Record<string, string> }>
}

/** reasonOf reads the ErrorInfo reason out of a gateway error body. */
export function reasonOf(body: unknown): { reason: string; message: string; metadata: Record<string, string> } {
  const b = (body ?? {}) as StatusBody
  const info = (b.details ?? []).find((d) => (d['@type'] ?? '').endsWith('google.rpc.ErrorInfo'))
  return { reason: info?.reason ?? '', message: b.message ?? '', metadata: info?.metadata ?? {} }
}

export function toApiError(status: number, body: unknown): ApiError {
  const { reason, message, metadata } = reasonOf(body)
  return new ApiError(status, reason, message, metadata)
}

/** describe turns any failure into one plain Chinese sentence for a shopper. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    const known = reasonText(err.reason)
    if (known) return known
    if (err.status === 0) return messages.errors.network
    if (err.status === 401) return messages.errors.unauthenticated
    if (err.status === 403) return messages.errors.forbidden
    if (err.status === 404) return messages.errors.notFound
    if (err.status === 429) return messages.errors.rateLimited
    if (err.status >= 500) return messages.errors.server
    return messages.errors.badRequest
  }
  if (err instanceof TypeError) return messages.errors.network
  return messages.errors.unknown
}
