#!/usr/bin/env node
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { bootstrapAdmin } from '../app/bootstrap-admin.js';
import { describeConfig, loadConfig } from '../app/config.js';
import { createContext } from '../app/context.js';
import { installCompetition } from '../app/install-competition.js';
import { BundleError } from '../bundle/bundle-error.js';
import { buildServer } from '../server/build-server.js';

/** The repository root, from src/cli or dist/cli alike. */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const demoBundle = path.join(packageRoot, 'examples', 'digits', 'bundle');

/** Exit codes a script can rely on. */
const EXIT = { ok: 0, failure: 1, usage: 2, invalidInput: 3 } as const;

const program = new Command()
  .name('holdout')
  .description('Holdout: code execution competitions you host yourself')
  .addHelpText('after', `\nConfiguration (environment variables):\n${describeConfig()}`)
  .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage));

program
  .command('serve')
  .description('run the web server and an in-process worker')
  .option('--port <port>', 'HTTP port (overrides HOLDOUT_PORT)')
  .option('--host <host>', 'interface to listen on (overrides HOLDOUT_HOST)')
  .option('--demo', 'load the demo competition (handwritten digits) if it is not loaded yet')
  .action(async (opts: { port?: string; host?: string; demo?: boolean }) => {
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
      process.exit(EXIT.ok);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

program
  .command('worker')
  .description('run a standalone worker that claims queued submissions from the database')
  .option('--concurrency <n>', 'runs at once', '1')
  .action(async (opts: { concurrency: string }) => {
    const ctx = await createContext(loadConfig(process.env, { workers: opts.concurrency }));
    ctx.worker?.start();
    ctx.logger.info({ worker: ctx.worker?.id }, 'worker started');
    const shutdown = async () => {
      await ctx.close();
      process.exit(EXIT.ok);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });

const competition = program.command('competition').description('manage competitions (host)');
for (const verb of ['create', 'update'] as const) {
  competition
    .command(`${verb} <bundle-dir>`)
    .description(`${verb} a competition from a bundle folder (competition.yaml + data)`)
    .action(async (dir: string) => {
      if (!existsSync(path.join(dir, 'competition.yaml'))) {
        process.stderr.write(`${dir}: no competition.yaml here; point at the bundle folder\n`);
        process.exit(EXIT.invalidInput);
      }
      const ctx = await createContext(loadConfig(process.env, { workers: 0, logLevel: 'warn' }));
      try {
        const c = await installCompetition(dir, ctx);
        const action = c.createdAt === c.updatedAt ? 'created' : 'updated';
        process.stdout.write(`${action} competition "${c.slug}" (${c.config.title}), bundle ${c.bundleDigest}\n`);
      } catch (err) {
        if (!(err instanceof BundleError)) throw err;
        process.stderr.write(`${err.message}\n`);
        process.exitCode = EXIT.invalidInput;
      } finally {
        await ctx.close();
      }
    });
}

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`holdout: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(EXIT.failure);
});
