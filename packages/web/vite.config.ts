import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server (packages/server/src/routes/web/dashboard.ts) answers index.html itself, filling in
// the session's CSRF <meta>, and serves dist/assets with a year-long immutable cache.
export default defineConfig({
  plugins: [react()],
  resolve: { alias: { 'node:crypto': fileURLToPath(new URL('./src/no-node-crypto.ts', import.meta.url)) } },
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // The polyfill would be an extra inline-free module anyway; every supported browser has it.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
});
