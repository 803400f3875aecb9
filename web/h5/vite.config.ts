import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'

// The gateway serves dist/ at /, so the API is same-origin in production.
// `npm run dev` proxies /v1 to a `make run` on :8080.
export default defineConfig({
  plugins: [
    vue(),
    // Imports only the Vant components a template uses, with their styles.
    Components({ resolvers: [VantResolver()], dts: false }),
  ],
  build: {
    target: 'es2020',
    outDir: 'dist',
    emptyOutDir: true,
    reportCompressedSize: false,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // Page tests mount Vant components, whose modules import their CSS:
    // vitest must transform them rather than hand them to Node.
    server: { deps: { inline: ['vant'] } },
  },
})
