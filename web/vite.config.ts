import { defineConfig } from 'vite';

// `npm run dev` proxies the API and registry to a local `berth serve` (BERTH_URL,
// default http://127.0.0.1:5000); `npm run build` writes dist/, which berth serves at /.
const berth = process.env.BERTH_URL ?? 'http://127.0.0.1:5000';

export default defineConfig({
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    proxy: {
      '/api/': berth,
      '/v2/': berth,
      '/service/': berth,
    },
  },
});
