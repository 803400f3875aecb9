import { ref, shallowRef, type Ref } from 'vue'
import { describe } from '../lib/errors'

// useLoad runs a loader and keeps the three states every page shows:
// loading, an error (as a plain sentence) and the data.
export function useLoad<T>(loader: () => Promise<T>) {
  const data = shallowRef<T | null>(null) as Ref<T | null>
  const loading = ref(true)
  const error = ref('')
  async function reload() {
    loading.value = true
    error.value = ''
    try {
      data.value = await loader()
    } catch (e) {
      error.value = describe(e)
    } finally {
      loading.value = false
    }
  }
  void reload()
  return { data, loading, error, reload }
}
