import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { parse } from 'yaml';
import { loadConfig } from '../../app/config.js';
import { zipFolder } from '../../archive/zip-folder.js';
import { BundleError } from '../../bundle/bundle-error.js';
import { setTimeout } from 'node:timers/promises';
import type { BundleResult } from '../../db/uploads-repo.js';
import { ApiError, type ApiClient } from '../api-client.js';
import { formatBytes, outputOf } from '../cli-output.js';
import { competitionPath } from '../competition-details.js';
import { connect } from '../connect.js';
import { CliError, exitCodes } from '../exit-codes.js';
import { resumableUpload } from '../resumable-upload.js';

function requireBundle(dir: string): void {
  if (!existsSync(path.join(dir, 'competition.yaml'))) throw new CliError(`${dir}: no competition.yaml here; point at the bundle folder`, exitCodes.invalidInput);
}

/** The slug a bundle declares, read before validating it all, to tell a create from an update. */
async function declaredSlug(dir: string): Promise<string | undefined> {
  const doc: unknown = parse(await readFile(path.join(dir, 'competition.yaml'), 'utf8'));
  const slug = doc && typeof doc === 'object' ? (doc as { slug?: unknown }).slug : undefined;
  return typeof slug === 'string' ? slug : undefined;
}

const exists = (slug: string, verb: string) =>
  new CliError(`competition "${slug}" exists already; "${verb} --update" (or "competition update") replaces its bundle and keeps its submissions`, exitCodes.refused, 'exists');

/** `holdout competition create|update BUNDLE` on this host's database; `publish` to a server. */
export function competitionCommand(): Command {
  const competition = new Command('competition').description('manage competitions: create/update in this host\'s database (HOLDOUT_* configuration), publish to a server');
  for (const verb of ['create', 'update'] as const) {
    const cmd = competition
      .command(`${verb} <bundle-dir>`)
      .description(verb === 'create' ? 'create a competition from a bundle folder (competition.yaml + data); an existing slug is refused unless --update' : 'update a competition (same slug) from a bundle folder; submissions are kept');
    if (verb === 'create') cmd.option('--update', 'update the competition if its slug exists');
    cmd.action(async (dir: string, opts: { update?: boolean }, sub: Command) => {
      requireBundle(dir);
      // Loaded here, so participant commands start without the database code.
      const [{ createContext }, { installCompetition }] = await Promise.all([import('../../app/context.js'), import('../../app/install-competition.js')]);
      const ctx = await createContext(loadConfig(process.env, { workers: 0, logLevel: 'warn' }));
      try {
        const slug = await declaredSlug(dir);
        if (verb === 'create' && !opts.update && slug && (await ctx.competitions.bySlug(slug))) throw exists(slug, 'competition create');
        const c = await installCompetition(dir, ctx);
        const action = c.createdAt === c.updatedAt ? 'created' : 'updated';
        const runtime = c.config.runtimeDigest ? `, runtime ${c.config.runtime} ${c.config.runtimeDigest}` : '';
        outputOf(sub).result(
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
  competition.addCommand(publishCommand());
  competition.addCommand(carryCommand());
  competition.addCommand(importCommand());
  return competition;
}

/** `holdout competition import codabench BUNDLE.zip [--out DIR]`: a Holdout bundle beside it. */
function importCommand(): Command {
  const imports = new Command('import').description('convert a competition bundle of another platform into a Holdout bundle folder');
  imports
    .command('codabench')
    .description('convert a Codabench (competition.yaml version 2) bundle, zipped or unpacked, into a Holdout bundle beside it (NAME-holdout/); lists what it could not carry over')
    .argument('<bundle>', 'the Codabench bundle: its zip, or its folder')
    .option('--out <dir>', 'write the Holdout bundle here instead (must not exist)')
    .action(async (source: string, opts: { out?: string }, cmd: Command) => {
      const { importCodabench } = await import('../../bundle/codabench/import-codabench.js');
      const { CodabenchError } = await import('../../bundle/codabench/convert-codabench.js');
      try {
        const done = await importCodabench(source, opts.out);
        const lines = [`wrote the Holdout bundle ${done.dir} (competition "${done.bundle.config.slug}", ${done.bundle.config.phases.length} phases)`];
        if (done.notes.length > 0) lines.push(`not carried over as it was (${done.notes.length}; also at the top of its competition.yaml):`, ...done.notes.map((n) => `  - ${n}`));
        lines.push(`next: holdout competition create ${done.dir}`);
        outputOf(cmd).result({ dir: done.dir, slug: done.bundle.config.slug, notes: done.notes }, lines.join('\n'));
      } catch (err) {
        if (err instanceof BundleError) throw new CliError(err.message, exitCodes.invalidInput, 'invalid_bundle');
        if (err instanceof CodabenchError) throw new CliError(`${source}: ${err.message}`, exitCodes.invalidInput, 'invalid_bundle');
        throw err;
      }
    });
  return imports;
}

/**
 * What a completed bundle upload installed. The last chunk's answer comes once the bundle is
 * installed; an upload resumed after that answer was lost may find it still installing.
 */
async function installedBundle(client: ApiClient, id: string): Promise<BundleResult> {
  for (;;) {
    const u = await client.get<{ state: string; competition: BundleResult | null }>(`/api/uploads/${encodeURIComponent(id)}`);
    if (u.competition) return u.competition;
    if (u.state !== 'checking') throw new CliError(`the server kept the bundle upload ${id} but says it is ${u.state}; run the same command again`, exitCodes.failure);
    await setTimeout(2000);
  }
}

/** `holdout competition publish BUNDLE [--update]`: zips the folder and uploads it to the server, as a host. */
function publishCommand(): Command {
  return new Command('publish')
    .description('upload a bundle folder to a Holdout server (--server, or the one of "holdout login"); needs the host role')
    .argument('<bundle-dir>', 'the bundle folder (competition.yaml + data)')
    .option('--update', 'update the competition if its slug exists (its submissions are kept)')
    .action(async (dir: string, opts: { update?: boolean }, cmd: Command) => {
      requireBundle(dir);
      const out = outputOf(cmd);
      const client = await connect(cmd, true);
      const slug = await declaredSlug(dir);
      if (slug && !opts.update) {
        const found = await client.get(competitionPath(slug)).then(() => true, (err: unknown) => (err instanceof ApiError && err.status === 404 ? false : Promise.reject(err)));
        if (found) throw exists(slug, 'competition publish');
      }
      const work = await mkdtemp(path.join(tmpdir(), 'holdout-publish-'));
      try {
        const zip = path.join(work, `${slug ?? 'bundle'}.zip`);
        await zipFolder(path.resolve(dir), zip);
        const size = (await stat(zip)).size;
        // The server publishes what it accepts: a bundle over it is refused here, not after the upload.
        const limits = await client.get<{ maxZipBytes: number }>('/api/upload-limits').catch(() => undefined);
        if (limits && size > limits.maxZipBytes) {
          throw new CliError(`${dir} zips to ${formatBytes(size)}, larger than the limit of ${formatBytes(limits.maxZipBytes)} of ${client.server}; leave large public files out of the bundle, or ask its admin to raise HOLDOUT_MAX_UPLOAD_BYTES`, exitCodes.invalidInput, 'payload_too_large');
        }
        const bar = out.progress('uploading', size);
        let id: string;
        try {
          // Resumable: the same command again after an interruption continues the upload.
          id = await resumableUpload(client, '/api/competitions/uploads', zip, (n) => bar.update(n), process.env, slug ? { slug } : {});
        } finally {
          bar.done();
        }
        const sent = await installedBundle(client, id);
        out.result(sent, `${sent.created ? 'created' : 'updated'} competition "${sent.slug}" (${sent.title}) on ${client.server}: ${client.server}/c/${encodeURIComponent(sent.slug)}`);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
}


/** `holdout competition carry SLUG PHASE`: the previous phase's selections re-run in PHASE now, as a host. */
function carryCommand(): Command {
  return new Command('carry')
    .description("re-run the previous phase's selected submissions on PHASE's data now (a phase with carry_selections; the server also does it when the phase opens); done once per phase")
    .argument('<slug>', 'the competition')
    .argument('<phase>', 'the phase to carry into')
    .action(async (slug: string, phase: string, _opts: unknown, cmd: Command) => {
      const client = await connect(cmd, true);
      const done = await client.json<{ phase: string; from: string; carried: number; carriedAt: string }>('POST', `${competitionPath(slug)}/phases/${encodeURIComponent(phase)}/carry`);
      outputOf(cmd).result(done, `${done.carried} selected submission${done.carried === 1 ? '' : 's'} of phase "${done.from}" carried into phase "${done.phase}" (at ${done.carriedAt}); they run on its data and rank on its leaderboard`);
    });
}
