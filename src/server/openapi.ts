import { z } from 'zod';
import type { RegisteredRoute } from './api-route.js';

type Json = Record<string, unknown>;

const errorSchema = z.object({
  error: z.string().describe('machine-readable code, e.g. "quota_exceeded"'),
  message: z.string().describe('what went wrong and what to do, in words'),
  details: z.unknown().optional(),
});

/** A JSON Schema for the request side (defaults optional), without the `$schema` key OpenAPI 3.1 does not need. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete out.$schema;
  return out;
}

/** `/competitions/:slug/files/*` → `/competitions/{slug}/files/{path}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}');
}

function parameters(route: RegisteredRoute): Json[] {
  const out: Json[] = [];
  const params = route.spec.params ? jsonSchema(route.spec.params, 'input') : undefined;
  const names = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] ?? '');
  if (route.path.endsWith('*')) names.push('path');
  const props = (params?.properties ?? {}) as Record<string, Json>;
  for (const name of names) out.push({ name, in: 'path', required: true, schema: props[name === 'path' ? '*' : name] ?? { type: 'string' } });
  if (route.spec.query) {
    const q = jsonSchema(route.spec.query, 'input');
    const required = new Set((q.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((q.properties ?? {}) as Record<string, Json>)) {
      out.push({ name, in: 'query', required: required.has(name), schema, ...(schema.description ? { description: schema.description } : {}) });
    }
  }
  for (const [name, h] of Object.entries(route.spec.headers ?? {})) out.push({ name, in: 'header', required: h.required ?? false, schema: { type: 'string' }, description: h.description });
  return out;
}

const accessText: Record<string, string> = {
  anyone: 'Anyone, signed in or not.',
  user: 'A signed-in user.',
  owner: 'The owner (or their team), a host of the competition, or an admin.',
  host: 'A host of the competition, or an admin.',
  admin: 'An admin.',
  worker: 'A worker token (`hwk_…`), for the competitions it serves.',
};

/**
 * The OpenAPI 3.1 document of every operation declared with `apiRoute`, generated from the zod
 * schemas that validate the requests.
 */
export function buildOpenApi(routes: readonly RegisteredRoute[], info: { version: string }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const { spec } = route;
    const responses: Record<string, Json> = {};
    for (const [status, r] of Object.entries(spec.responses ?? { 200: { description: 'OK' } })) {
      const type = r.contentType ?? 'application/json';
      responses[status] = { description: r.description, ...(r.schema ? { content: { [type]: { schema: jsonSchema(r.schema, 'output') } } } : {}) };
    }
    responses.default = { description: 'An error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    const op: Json = {
      operationId: `${spec.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: spec.summary,
      description: [spec.description, `Who: ${accessText[spec.access] ?? spec.access}`].filter(Boolean).join('\n\n'),
      tags: [spec.tag],
      parameters: parameters(route),
      responses,
      ...(spec.access === 'anyone' ? { security: [] } : {}),
      'x-access': spec.access,
    };
    if (spec.body) op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(spec.body, 'input') } } };
    if (spec.upload) {
      op.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description: spec.upload } } },
          },
        },
      };
    }
    if (spec.rawBody) op.requestBody = { required: true, description: spec.rawBody.description, content: { [spec.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } } };
    (paths[openApiPath(route.path)] ??= {})[spec.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Holdout API',
      version: info.version,
      description:
        'Code execution competitions. Authenticate with `Authorization: Bearer <token>` (an API token or a session ' +
        'token from /api/auth/login), or with the session cookie the web app uses; cookie-authenticated POST, PUT, PATCH and ' +
        'DELETE requests must also send the `x-csrf-token` header equal to the `holdout_csrf` cookie.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'holdout_session' },
      },
      schemas: { Error: jsonSchema(errorSchema, 'output') },
    },
    security: [{ bearer: [] }, { cookie: [] }],
    paths,
  };
}
