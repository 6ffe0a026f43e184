import { Command } from 'commander';
import { loadConfig } from '../../app/config.js';
import { exitCodes } from '../exit-codes.js';

/**
 * `holdout worker`: a standalone worker process (host). It registers in the database, claims the
 * submissions it can run, and drains on SIGTERM: no new claims, runs finish within
 * HOLDOUT_DRAIN_MS or are handed back, then it deregisters and exits 0. A second signal hands
 * the runs back at once.
 */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run a standalone worker that claims queued submissions from the database (host)')
    .option('--concurrency <n>', 'runs at once (overrides HOLDOUT_WORKERS; default 1)')
    .option('--gpus <ids>', 'GPUs to hand to runs: "all", "none" or ids like "0,1" of /dev/nvidiaN (overrides HOLDOUT_WORKER_GPUS; default none)')
    .action(async (opts: { concurrency?: string; gpus?: string }) => {
      const config = loadConfig(process.env, { workers: opts.concurrency ?? process.env.HOLDOUT_WORKERS ?? 1, ...(opts.gpus ? { workerGpus: opts.gpus } : {}) });
      if (config.workers < 1) throw new Error('a worker needs a concurrency of at least 1');
      // Loaded here, so that participant commands start without the database and worker code.
      const { createContext } = await import('../../app/context.js');
      const ctx = await createContext(config);
      const worker = ctx.worker;
      if (!worker) throw new Error('no worker was created');
      worker.start();
      ctx.logger.info({ worker: worker.id, pid: process.pid, concurrency: config.workers, gpus: worker.offer.gpus }, 'worker started');
      let signals = 0;
      const shutdown = async (signal: NodeJS.Signals) => {
        if (++signals > 1) {
          ctx.logger.warn({ signal }, 'handing back the runs in progress now');
          void worker.stop(0);
          return;
        }
        ctx.logger.info({ signal, graceMs: config.drainMs }, 'draining: no new claims');
        try {
          await worker.stop(config.drainMs);
          await ctx.close();
        } catch (err) {
          // Its leases expire and other workers take its runs over; the exit code tells the supervisor.
          ctx.logger.error({ err }, 'draining failed');
          process.exit(exitCodes.failure);
        }
        ctx.logger.info('worker stopped');
        process.exit(exitCodes.ok);
      };
      process.on('SIGINT', (s) => void shutdown(s));
      process.on('SIGTERM', (s) => void shutdown(s));
    });
}
