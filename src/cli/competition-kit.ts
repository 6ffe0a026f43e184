import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { type LocalTestKit, localTestKit } from '../app/local-test.js';
import { BundleError } from '../bundle/bundle-error.js';
import { loadBundle } from '../bundle/load-bundle.js';
import { currentPhase } from '../domain/phases.js';
import type { Output } from './cli-output.js';
import { fetchCompetition, smokeFiles } from './competition-details.js';
import { connect } from './connect.js';
import { downloadFiles } from './download-files.js';
import { CliError, exitCodes } from './exit-codes.js';
import { cacheDir } from './user-config.js';

/** A competition's smoke test, ready to run: the kit and a folder holding its smoke files. */
export interface ResolvedKit {
  kit: LocalTestKit;
  bundleDir: string;
  /** Where it came from, for people: the bundle folder or the server's URL. */
  source: string;
}

/** A `--competition` value naming a bundle folder rather than a slug. */
export function isBundleFolder(value: string): boolean {
  return existsSync(path.join(value, 'competition.yaml'));
}

/**
 * Resolves `--competition`: a bundle folder is read and validated like `competition create` does;
 * anything else is a slug on the server, whose smoke sample is downloaded once into the cache
 * folder (per server, competition and bundle digest) and reused. The kit is that of `phase`, else
 * of the phase open now (its own runtime, limits and data, as the platform runs it).
 */
export async function resolveKit(value: string, cmd: Command, out: Output, phase?: string): Promise<ResolvedKit> {
  if (isBundleFolder(value)) {
    let loaded;
    try {
      loaded = await loadBundle(value);
    } catch (error) {
      if (error instanceof BundleError) throw new CliError(error.message, exitCodes.invalidInput, 'invalid_bundle');
      throw error;
    }
    const phases = loaded.config.phases;
    if (phase !== undefined && !phases.some((p) => p.name === phase)) {
      throw new CliError(`${value} has no phase "${phase}"; its phases are ${phases.map((p) => `"${p.name}"`).join(', ')}`, exitCodes.notFound);
    }
    const kit = localTestKit(loaded.config, phase ?? currentPhase(phases, new Date())?.name);
    if (!kit) throw new CliError(`${value} declares no smoke sample (data.smoke in competition.yaml); test-submission runs on it`, exitCodes.invalidInput);
    return { kit, bundleDir: loaded.root, source: loaded.root };
  }
  if (value.includes('/') || value.startsWith('.')) {
    throw new CliError(`${value} is not a bundle folder (no competition.yaml there) nor a competition slug`, exitCodes.invalidInput);
  }
  const client = await connect(cmd, false);
  const details = await fetchCompetition(client, value, phase);
  if (details.localTest === undefined) {
    throw new CliError(`${client.server} does not serve local test kits; it runs an older Holdout`, exitCodes.failure);
  }
  const kit = details.localTest;
  if (kit === null) throw new CliError(`"${value}" declares no smoke sample, so there is nothing to test on locally`, exitCodes.notFound);
  const host = new URL(client.server).host.replace(/[^A-Za-z0-9.-]/g, '_');
  const dir = path.join(cacheDir(), host, kit.slug, details.bundleDigest.replace(/[^A-Za-z0-9-]/g, '-'));
  const files = smokeFiles(details, kit);
  if (files.length === 0) throw new CliError(`${client.server} lists no smoke sample files for "${value}"`, exitCodes.failure);
  const report = await downloadFiles(client, kit.slug, files, dir, out);
  if (report.downloaded.length > 0) out.note(`downloaded the smoke sample (${report.downloaded.length} files) to ${dir}`);
  return { kit, bundleDir: dir, source: `${client.server}/api/competitions/${kit.slug}` };
}
