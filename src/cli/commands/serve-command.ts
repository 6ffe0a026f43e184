import { Command } from 'commander';
import { loadConfig } from '../../app/config.js';
import { exitCodes } from '../exit-codes.js';
import { demoBundle } from '../package-root.js';

/** `holdout serve`: the web server with an in-process worker (host). */
export function serveCommand(): Command {
  return new Command('serve')
    .description('run the web server and an in-process worker (host)')
    .option('--port <port>', 'HTTP port (overrides HOLDOUT_PORT)')
    .option('--host <host>', 'interface to listen on (overrides HOLDOUT_HOST)')
    .option('--demo', 'load the demo competition (handwritten digits) if it is not loaded yet')
    .action(async (opts: { port?: string; host?: string; demo?: boolean }) => {
      // Loaded here, so participant commands start without the server's code.
      const [{ bootstrapAdmin }, { createContext }, { installCompetition }, { buildServer }] = await Promise.all([
        import('../../app/bootstrap-admin.js'),
        import('../../app/context.js'),
        import('../../app/install-competition.js'),
        import('../../server/build-server.js'),
      ]);
      const config = loadConfig(process.env, { ...(opts.port ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) });
      const ctx = await createContext(config);
      const admin = await bootstrapAdmin(ctx);
      if (opts.demo && !(await ctx.competitions.bySlug('digits'))) await installCompetition(demoBundle, ctx);
      const app = await buildServer(ctx);
      ctx.worker?.start();
      const url = await app.listen({ port: config.port, host: config.host });
      const shown = url.replace('127.0.0.1', 'localhost');
      const lines = [
        `Holdout is running on ${shown}`,
        admin.password
          ? `Admin account created: username "admin", password "${admin.password}" (also in ${admin.file})`
          : `Admin account: "admin" (password in ${admin.file})`,
        ...(opts.demo ? [`Demo competition: ${shown}/api/competitions/digits`] : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      const shutdown = async () => {
        await app.close();
        await ctx.close();
        process.exit(exitCodes.ok);
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
