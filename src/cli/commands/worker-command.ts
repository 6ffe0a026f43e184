import { Command } from 'commander';
import { loadConfig } from '../../app/config.js';
import { globalOptions } from '../cli-output.js';
import { CliError, exitCodes } from '../exit-codes.js';

/**
 * `holdout worker`: a standalone worker process (host). It registers in the database, claims the
 * submissions it can run, and drains on SIGTERM: no new claims, runs finish within
 * HOLDOUT_DRAIN_MS or are handed back, then it deregisters and exits 0. A second signal hands
 * the runs back at once.
 */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run a standalone worker that claims queued submissions from the database, or with --token from a server over its API (host)')
    .option('--concurrency <n>', 'runs at once (overrides HOLDOUT_WORKERS; default 1)')
    .option('--gpus <ids>', 'GPUs to hand to runs: "all", "none" or ids like "0,1" of /dev/nvidiaN (overrides HOLDOUT_WORKER_GPUS; default none)')
    .option('--token <token>', 'a worker token (hwk_…) from a host: work through the API of --server, with no database or blob-store credentials (default: HOLDOUT_WORKER_TOKEN)')
    .option('--competition <slug...>', "with --token: serve only these of the token's competitions")
    .action(async (opts: { concurrency?: string; gpus?: string; token?: string; competition?: string[] }, cmd: Command) => {
      const config = loadConfig(process.env, { workers: opts.concurrency ?? process.env.HOLDOUT_WORKERS ?? 1, ...(opts.gpus ? { workerGpus: opts.gpus } : {}) });
      if (config.workers < 1) throw new Error('a worker needs a concurrency of at least 1');
      const token = opts.token ?? process.env.HOLDOUT_WORKER_TOKEN;
      const server = globalOptions(cmd).server ?? process.env.HOLDOUT_SERVER;
      if (opts.competition && !token) throw new CliError('--competition needs --token: a database worker serves every competition', exitCodes.usage);
      if (token && !server) throw new CliError('a worker with a token needs the server: --server URL (or HOLDOUT_SERVER)', exitCodes.usage);
      // Loaded here, so that participant commands start without the database and worker code.
      let worker: import('../../worker/worker.js').Worker | undefined;
      let ctx: { logger: import('pino').Logger; close(): Promise<void> };
      if (token && server) {
        const { createRemoteWorker } = await import('../../app/remote-worker.js');
        const { pino } = await import('pino');
        const logger = pino({ level: config.logLevel });
        const remote = await createRemoteWorker(config, { server, token, ...(opts.competition ? { competitions: opts.competition } : {}) }, logger);
        worker = remote.worker;
        ctx = { logger, close: remote.close };
      } else {
        const { createContext } = await import('../../app/context.js');
        const app = await createContext(config);
        worker = app.worker;
        ctx = app;
      }
      if (!worker) throw new Error('no worker was created');
      worker.start();
      ctx.logger.info({ worker: worker.id, pid: process.pid, concurrency: config.workers, gpus: worker.offer.gpus, ...(server && token ? { server } : {}) }, 'worker started');
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
