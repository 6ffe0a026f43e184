import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../app/context.js';
import { pingDatabase } from '../db/create-database.js';

/** What `GET /readyz` answers: each dependency's state, 'ok' or what went wrong in a few words. */
export interface Readiness {
  ready: boolean;
  database: string;
  blobs: string;
}

/** A key no blob has: its stat is one cheap round trip to the store. */
const PROBE_KEY = 'readyz/probe';

/**
 * Whether this process can serve: the database answers a query and the blob store a lookup, each
 * within `timeoutMs` (a load balancer's probe must not hang on a host that vanished). `/healthz`
 * says only that the process runs; this says whether to send it traffic.
 */
export async function readiness(ctx: Pick<AppContext, 'db' | 'blobs'>, log: FastifyBaseLogger, timeoutMs = 5000): Promise<Readiness> {
  const [database, blobs] = await Promise.all([
    probe('database', () => pingDatabase(ctx.db), timeoutMs, log),
    probe('blob store', () => ctx.blobs.stat(PROBE_KEY), timeoutMs, log),
  ]);
  return { ready: database === 'ok' && blobs === 'ok', database, blobs };
}

/** 'ok', or why not; the error itself only in the log (it may name internal hosts). */
async function probe(what: string, check: () => Promise<unknown>, timeoutMs: number, log: FastifyBaseLogger): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs)));
  try {
    return await Promise.race([check().then(() => 'ok'), late]);
  } catch (err) {
    log.warn({ err }, `readiness: the ${what} failed`);
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}
