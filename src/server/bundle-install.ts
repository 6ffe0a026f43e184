import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { installCompetition } from '../app/install-competition.js';
import { ArchiveError, extractZip } from '../archive/safe-unzip.js';
import { BundleError } from '../bundle/bundle-error.js';
import { loadBundle } from '../bundle/load-bundle.js';
import type { StoredCompetition } from '../db/competitions-repo.js';
import { isHostOf, type RequestUser } from './access.js';
import { HttpError } from './http-error.js';
import type { ServerDeps } from './server-deps.js';

/** Only admins and hosts upload bundles; refused before a byte is stored. @throws HttpError 403 */
export function requireHostRole(user: RequestUser): void {
  if (user.role === 'participant') throw new HttpError(403, 'only an admin or a host may upload a competition bundle');
}

/**
 * A bundle slug someone else hosts is refused: by the slug a client announces before uploading,
 * and again by the slug the bundle declares. @throws HttpError 403
 */
export async function refuseOthersSlug(deps: ServerDeps, user: RequestUser, slug: string): Promise<StoredCompetition | undefined> {
  const existing = await deps.competitions.bySlug(slug);
  if (existing && !(await isHostOf(deps, user, existing))) throw new HttpError(403, `"${slug}" exists and you are not one of its hosts; choose another slug`);
  return existing;
}

/**
 * Unpacks a bundle zip (a local file), validates it and installs it: creates the competition, or
 * updates the one with its slug. A bundle that does not validate installs nothing (422 with every
 * problem in `details`), nor does a damaged zip (400). The unpacked folder is removed either way;
 * the zip is the caller's.
 */
export async function installBundleZip(deps: ServerDeps, user: RequestUser, zipFile: string): Promise<{ competition: StoredCompetition; created: boolean }> {
  const uploads = path.join(deps.config.dataDir, 'uploads');
  await mkdir(uploads, { recursive: true });
  const dir = await mkdtemp(path.join(uploads, 'bundle-'));
  try {
    await extractZip(zipFile, dir, { maxBytes: deps.config.maxUnpackedBytes, maxFiles: deps.config.maxFiles });
    // Validate first: the slug decides whether this is a create or someone else's competition.
    const { config } = await loadBundle(dir);
    const existing = await refuseOthersSlug(deps, user, config.slug);
    const competition = await installCompetition(dir, deps);
    if (!existing && user.role !== 'admin') await deps.roles.addHost(competition.id, user.id);
    return { competition, created: !existing };
  } catch (err) {
    if (err instanceof ArchiveError) throw new HttpError(400, err.message, 'invalid_archive');
    if (err instanceof BundleError) throw new HttpError(422, err.message, 'invalid_bundle', err.issues);
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
