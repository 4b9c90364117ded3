import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The web app, built into dist/web and served by the gateway on the API's port. Everything is
 * bundled (no CDN): the app works on a clinic network without the internet.
 * `npm run dev:web` serves it with hot reload and sends /api to a running gateway (GATEWAY_URL).
 */
export default defineConfig({
  root: here('.'),
  // React's automatic JSX runtime, compiled by Vite's own transformer (oxc).
  oxc: { jsx: { runtime: 'automatic' } },
  // As in tsconfig.json: the pages import the API's types from the contracts (types only, erased).
  resolve: { alias: { '@aftercare/contracts': here('../../libs/contracts/src/index.ts') } },
  build: {
    outDir: here('../../dist/web'),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      onwarn(warning, warn) {
        // react-router marks its modules "use client" (for React Server Components, unused here).
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: {
      '/api': process.env.GATEWAY_URL ?? 'http://localhost:3000',
      '/health': process.env.GATEWAY_URL ?? 'http://localhost:3000',
    },
  },
});
