import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { parse } from './validate.js';

/** Who may call an operation, as the reference states it; the handler enforces it. */
export type Access = 'anyone' | 'user' | 'owner' | 'host' | 'admin' | 'worker';

/** One response an operation can give, for the reference. */
export interface ApiResponse {
  description: string;
  schema?: z.ZodType;
  /** @defaultValue 'application/json' */
  contentType?: string;
}

/**
 * An operation declared once: its request schemas both validate the request (a 400 naming each
 * field) and describe it in the OpenAPI document, so the two cannot drift apart.
 */
export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path relative to the plugin prefix, e.g. `/competitions/:slug`. */
  url: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** The request is multipart/form-data with one file field `file` described here. */
  upload?: string;
  /** The request body is raw bytes of this content type (a tus chunk), read by the handler as it streams. */
  rawBody?: { contentType: string; description: string };
  /** Request headers the operation reads (the tus protocol's), for the reference. */
  headers?: Record<string, { description: string; required?: boolean }>;
  responses?: Record<number, ApiResponse>;
  handler: (
    req: FastifyRequest,
    reply: FastifyReply,
    input: { params: z.infer<P>; query: z.infer<Q>; body: z.infer<B> },
  ) => Promise<unknown>;
}

/** What the OpenAPI document is generated from. */
export interface RegisteredRoute {
  method: string;
  /** Full path with the prefix, Fastify style. */
  path: string;
  spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every operation declared with {@link apiRoute}, for the OpenAPI document. */
    apiRoutes: RegisteredRoute[];
  }
}

/** Registers an operation on `app` and records it for the reference. */
export function apiRoute<P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown>(
  app: FastifyInstance,
  spec: RouteSpec<P, Q, B>,
): void {
  app.apiRoutes.push({ method: spec.method, path: `${app.prefix}${spec.url}`, spec: spec as unknown as RouteSpec<z.ZodType, z.ZodType, z.ZodType> });
  app.route({
    method: spec.method,
    url: spec.url,
    handler: async (req, reply) => {
      const input = {
        params: (spec.params ? parse(spec.params, req.params, 'path') : req.params) as z.infer<P>,
        query: (spec.query ? parse(spec.query, req.query, 'query') : {}) as z.infer<Q>,
        body: (spec.body ? parse(spec.body, req.body, 'body') : undefined) as z.infer<B>,
      };
      return spec.handler(req, reply, input);
    },
  });
}
