import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import vuetify from 'vite-plugin-vuetify';

// `npm run dev` proxies the APIs to a running `neuroerp start` (PORT 8080 by default), so the
// dashboard is served from the same origin as the APIs, as in production.
const apiTarget = process.env.NEUROERP_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [vue(), vuetify({ autoImport: true })],
  define: { __NEUROERP_COMPANY_ID__: JSON.stringify(process.env.NEUROERP_COMPANY_ID ?? 'valeo-demo-gmbh') },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': { target: apiTarget, changeOrigin: false }, '/.well-known': { target: apiTarget, changeOrigin: false } } },
});
