import { z } from 'zod';
import type { RuntimeChoice } from '../domain/competition.js';
import { parseImageReference, runtimeNameOfImage } from '../domain/image-reference.js';
import { describeValue } from './fields.js';

const runtimeName = z
  .string()
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/, 'must be "host", a runtime recipe name such as "python-ml" (lowercase letters, digits, "-"), or { image: registry/repo@sha256:… }');

const imageForm = z
  .strictObject({
    image: z
      .string()
      .trim()
      .refine((ref) => parseImageReference(ref) !== undefined, {
        message: 'must be an image reference such as registry.example:5000/holdout/python-ml@sha256:<64 hex> ("holdout runtime push" prints one)',
      }),
    digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be an image ID, sha256:<64 hex> ("holdout runtime pull" prints it)').optional(),
    name: runtimeName.refine((n) => n !== 'host', '"host" is the machine\'s own /usr, not a name for an image').optional(),
  })
  .transform((r): RuntimeChoice => {
    const ref = parseImageReference(r.image);
    return { name: r.name ?? (ref ? runtimeNameOfImage(ref) : 'image'), image: r.image, ...(r.digest ? { digest: r.digest } : {}) };
  });

/**
 * `runtime:` of the competition or of a phase, parsed to a name and, for an image, its reference.
 * `runtime: python-ml` (a recipe built on the installing host), `runtime: host`, or any image:
 * `runtime: { image: registry.example:5000/holdout/python-ml@sha256:…, digest?: sha256:<image ID>,
 * name?: python-ml }`. The image's ID is recorded at install; `digest`, when given, must match it.
 * @remarks Not a z.union: a union reports "no option matched" and hides which field is wrong.
 */
export const runtimeSchema = z.unknown().transform((value, ctx): RuntimeChoice => {
  const form = typeof value === 'string' ? runtimeName.transform((name): RuntimeChoice => ({ name })) : typeof value === 'object' && value !== null && !Array.isArray(value) ? imageForm : undefined;
  if (form === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be "host", a runtime recipe name such as "python-ml", or { image: registry/repo@sha256:… }, got ${describeValue(value)}` });
    return z.NEVER;
  }
  const parsed = form.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});
