import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** dist/web of this package, from src/server (tsx) and dist/server alike. */
export const defaultWebRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');

/**
 * The policy for the app's pages: only our own scripts, styles and connections. Even if some
 * text were ever inserted as HTML, an inline `<script>` or `onerror=` handler would not run.
 */
export const webContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the built browser app on the API's port: its files, and index.html for any other GET
 * outside /api so that deep links work (the app routes in the browser).
 */
export async function serveWebApp(app: FastifyInstance, root = defaultWebRoot): Promise<void> {
  const built = existsSync(path.join(root, 'index.html'));
  app.addHook('onSend', async (req, reply, payload) => {
    if (!req.url.startsWith('/api/')) reply.header('content-security-policy', webContentSecurityPolicy);
    return payload;
  });
  if (built) {
    // Hashed asset names never change content: cache them; index.html is always revalidated.
    await app.register(fastifyStatic, {
      root,
      wildcard: false,
      index: false,
      setHeaders: (res, file) => res.header('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache'),
    });
  }
  app.setNotFoundHandler((req, reply) => {
    const isPage = req.method === 'GET' && !req.url.startsWith('/api/') && req.url !== '/api';
    if (isPage && built) return reply.header('cache-control', 'no-cache').sendFile('index.html');
    if (isPage) return reply.status(404).type('text/plain').send('The web app is not built: run "npm run build". The API is under /api (see /api/docs).');
    return reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` });
  });
}
