// Builds the dashboard into dist/web: Preact through esbuild's JSX, everything bundled (the server's CSP allows no CDN).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The map data and ECharts are their own lazy chunks; only the first screen loads up front.
    chunkSizeWarningLimit: 900,
    // No inline module preload polyfill: the CSP allows only same-origin scripts.
    modulePreload: { polyfill: false },
  },
});
