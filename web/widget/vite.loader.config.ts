// Builds the host-page loader into one small IIFE at dist/embed.js (no chunks, no CSS).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  esbuild: { legalComments: 'none' },
  build: {
    outDir: resolve(__dirname, '../../internal/webui/dist'),
    emptyOutDir: false,
    target: 'es2019',
    minify: 'esbuild',
    sourcemap: false,
    lib: {
      entry: resolve(__dirname, 'src/loader/index.ts'),
      formats: ['iife'],
      name: 'ChatProxyLoader',
      fileName: () => 'embed.js',
    },
  },
});
