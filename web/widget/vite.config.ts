// Builds the iframe chat app (/widget/) and the demo shop page (/) into the Go embed directory.
// The loader (/embed.js) is built separately by vite.loader.config.ts as one IIFE.
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

const outDir = resolve(__dirname, '../../internal/webui/dist');

export default defineConfig({
  root: resolve(__dirname, 'pages'),
  base: '/',
  publicDir: false,
  esbuild: { jsx: 'automatic', legalComments: 'none' },
  build: {
    outDir,
    // Never wipe dist/: it holds the committed .gitkeep. scripts/clean-dist.mjs empties it instead.
    emptyOutDir: false,
    // Everything the pages load lives under /widget/assets/, which the Go server already serves.
    assetsDir: 'widget/assets',
    target: 'es2020',
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    sourcemap: false,
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        widget: resolve(__dirname, 'pages/widget/index.html'),
        demo: resolve(__dirname, 'pages/demo/index.html'),
      },
    },
  },
  test: {
    root: __dirname,
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
  },
});
