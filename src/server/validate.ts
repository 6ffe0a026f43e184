import type { z } from 'zod';
import { HttpError } from './http-error.js';

/** Parses a request part with a zod schema; a mismatch is a 400 that names each field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.infer<S> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const fields = r.error.issues.map((i) => ({ field: i.path.join('.') || where, message: i.message }));
  const text = fields.map((f) => `${f.field}: ${f.message}`).join('; ');
  throw new HttpError(400, `invalid ${where}: ${text}`, 'invalid_request', fields);
}
