import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../../app/config.js';
import { BundleError } from '../../bundle/bundle-error.js';
import { outputOf } from '../cli-output.js';
import { CliError, exitCodes } from '../exit-codes.js';

/** `holdout competition create|update BUNDLE`: loads a bundle into this host's database (host). */
export function competitionCommand(): Command {
  const competition = new Command('competition').description('manage competitions in this host\'s database (host; uses HOLDOUT_* configuration)');
  for (const verb of ['create', 'update'] as const) {
    competition
      .command(`${verb} <bundle-dir>`)
      .description(`${verb} a competition from a bundle folder (competition.yaml + data)`)
      .action(async (dir: string, _opts: unknown, cmd: Command) => {
        if (!existsSync(path.join(dir, 'competition.yaml'))) {
          throw new CliError(`${dir}: no competition.yaml here; point at the bundle folder`, exitCodes.invalidInput);
        }
        // Loaded here, so participant commands start without the database code.
        const [{ createContext }, { installCompetition }] = await Promise.all([import('../../app/context.js'), import('../../app/install-competition.js')]);
        const ctx = await createContext(loadConfig(process.env, { workers: 0, logLevel: 'warn' }));
        try {
          const c = await installCompetition(dir, ctx);
          const action = c.createdAt === c.updatedAt ? 'created' : 'updated';
          const runtime = c.config.runtimeDigest ? `, runtime ${c.config.runtime} ${c.config.runtimeDigest}` : '';
          outputOf(cmd).result(
            { action, slug: c.slug, title: c.config.title, bundleDigest: c.bundleDigest, runtime: c.config.runtime, runtimeDigest: c.config.runtimeDigest ?? null, runtimeImage: c.config.runtimeImage ?? null },
            `${action} competition "${c.slug}" (${c.config.title}), bundle ${c.bundleDigest}${runtime}`,
          );
        } catch (err) {
          // Every problem of the bundle, one a line: the message is already written that way.
          if (err instanceof BundleError) throw new CliError(err.message, exitCodes.invalidInput, 'invalid_bundle');
          throw err;
        } finally {
          await ctx.close();
        }
      });
  }
  return competition;
}
