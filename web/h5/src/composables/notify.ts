import { showToast, showSuccessToast, showFailToast } from 'vant'
import { describe } from '../lib/errors'

export const toast = showToast
export const ok = (msg: string) => showSuccessToast(msg)
/** fail shows any error as the plain sentence for its reason. */
export const fail = (e: unknown) => showFailToast({ message: describe(e), wordBreak: 'break-word' })
