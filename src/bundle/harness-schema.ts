import { z } from 'zod';
import { type HarnessConfig, harnessMount } from '../domain/harness.js';
import { command, duration, relativePath } from './fields.js';

const placeholder = /\$\{harness\}|\$harness\b/g;
const hasPlaceholder = /\$\{harness\}|\$harness\b/;

/**
 * `harness:` in competition.yaml: `{ files: harness/, command: python3 $harness/run.py,
 * call_timeout: 2s, code: read-only }`. `$harness` (or `${harness}`) in the command becomes the
 * folder where the files appear in the run; any other `$` word is refused, since nothing expands it.
 */
export const harnessSchema = z
  .strictObject({
    files: relativePath('the bundle').optional(),
    command: command.superRefine((argv, ctx) => {
      const other = argv.map((a) => a.replace(placeholder, '')).find((a) => /\$[A-Za-z{]/.test(a));
      if (other !== undefined) ctx.addIssue({ code: 'custom', message: `uses "${other}"; a harness command may use $harness only (no shell runs it: use sh -c '…' for variables)` });
    }),
    call_timeout: duration.optional(),
    code: z.enum(['read-only', 'writable']).default('read-only'),
  })
  .superRefine((h, ctx) => {
    if (h.files === undefined && h.command.some((a) => hasPlaceholder.test(a))) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'uses $harness, but harness.files names no folder' });
    }
  })
  .transform(
    (h): HarnessConfig => ({
      ...(h.files === undefined ? {} : { dir: h.files }),
      command: h.command.map((a) => a.replace(placeholder, harnessMount)),
      ...(h.call_timeout === undefined ? {} : { callTimeoutMs: h.call_timeout }),
      writableCode: h.code === 'writable',
    }),
  );
