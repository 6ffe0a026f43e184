import { z } from 'zod';
import type { Limits } from '../domain/limits.js';
import { duration, size } from './fields.js';

const MiB = 1024 ** 2;

/** Limits of a bundle that sets none (for submissions, and for a scoring program). */
export const defaultLimits: Readonly<Limits> = Object.freeze({
  wallTimeMs: 10 * 60_000,
  memoryBytes: 2 * 1024 * MiB,
  cpus: 1,
  pids: 256,
  outputBytes: 100 * MiB,
  logBytes: 1 * MiB,
  gpus: 0,
});

/** A `limits:` mapping; every key is optional and falls back to {@link defaultLimits}. */
export const limitsSchema = z
  .strictObject({
    wall_time: duration.default(defaultLimits.wallTimeMs),
    memory: size.default(defaultLimits.memoryBytes),
    cpus: z.number().positive().max(1024).default(defaultLimits.cpus),
    pids: z.int().min(1).default(defaultLimits.pids),
    output: size.default(defaultLimits.outputBytes),
    log: size.default(defaultLimits.logBytes),
    gpus: z.int().min(0).default(defaultLimits.gpus),
  })
  .transform(
    (l): Limits => ({
      wallTimeMs: l.wall_time,
      memoryBytes: l.memory,
      cpus: l.cpus,
      pids: l.pids,
      outputBytes: l.output,
      logBytes: l.log,
      gpus: l.gpus,
    }),
  )
  .prefault({});
