import path from 'node:path';
import { defineConfig } from 'vite';

/** The browser app: built from src/web into dist/web, which the server serves on its own port. */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: path.resolve(import.meta.dirname, '../../dist/web'), emptyOutDir: true, sourcemap: true, target: 'es2022' },
  // The API runs on another port during `vite` development.
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
