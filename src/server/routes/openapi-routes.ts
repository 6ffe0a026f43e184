import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import { renderApiDocs } from '../api-docs-page.js';
import { buildOpenApi } from '../openapi.js';

const packageJson = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json');
const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

/** GET /api/openapi.json (the document) and GET /api/docs (a browsable reference, no script). */
export const openApiRoutes = (): FastifyPluginAsync => async (app) => {
  let cached: Record<string, unknown> | undefined;
  // Built on first request, when every plugin has declared its routes.
  const doc = () => (cached ??= buildOpenApi(app.apiRoutes, { version }));
  app.get('/openapi.json', async () => doc());
  app.get('/docs', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
      .send(renderApiDocs(doc())),
  );
};
