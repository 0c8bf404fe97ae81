// Builds the operator console (/admin/) and the widget's live preview page (/admin/preview,
// the widget's own dialog and styles from web/widget/src) into internal/webui/dist/admin,
// which the Go binary embeds. The preview imports the widget's sources: react and marked are
// deduplicated so both pages share this package's single copy.
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: __dirname,
  base: '/admin/',
  publicDir: false,
  esbuild: { jsx: 'automatic', legalComments: 'none' },
  resolve: { dedupe: ['react', 'react-dom', 'marked'] },
  server: { fs: { allow: [resolve(__dirname, '..')] } },
  build: {
    outDir: resolve(__dirname, '../../internal/webui/dist/admin'),
    // dist/admin is this build's alone (web/widget's clean step leaves it alone).
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2020',
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    sourcemap: false,
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        index: resolve(__dirname, 'index.html'),
        preview: resolve(__dirname, 'preview.html'),
      },
    },
  },
  test: {
    root: __dirname,
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
  },
});
