import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BundleResult, Upload, UploadsRepo } from '../../db/uploads-repo.js';
import type { RequestUser } from '../access.js';
import { installBundleZip } from '../bundle-install.js';
import { HttpError } from '../http-error.js';
import type { ServerDeps } from '../server-deps.js';
import { assembleParts, removeParts } from './upload-parts.js';

/** Where a bundle's assembled zip waits in the blob store while it is checked and installed. */
export const bundleZipKey = (uploadId: string) => `bundle-uploads/${uploadId}.zip`;

/**
 * Turns a fully received bundle upload into a competition: assembles the parts, checks the
 * announced sha256, unpacks, validates and installs it (installBundleZip), and records what it
 * made for the client to read (GET /api/uploads/:id). One request does it: a second one that saw
 * the last byte arrive finds the upload claimed and leaves it. A bad bundle or zip removes the
 * upload and all it stored, installs nothing, and its error (422 with every problem, or 400) is
 * the last PATCH's answer.
 * @returns what was installed, or undefined when another request is completing it
 */
export async function completeBundleUpload(deps: ServerDeps, uploads: UploadsRepo, upload: Upload, user: RequestUser): Promise<BundleResult | undefined> {
  if (upload.completed) return upload.result ?? undefined;
  if (!(await uploads.claimCompletion(upload.id))) return undefined;
  const key = bundleZipKey(upload.id);
  const local = path.join(deps.config.dataDir, 'uploads', `${upload.id}.bundle.zip`);
  try {
    const digest = await assembleParts(deps.blobs, key, upload.id, upload.parts, upload.length, Boolean(upload.metadata.sha256));
    const expected = upload.metadata.sha256?.toLowerCase();
    if (expected && digest !== expected)
      throw new HttpError(460, `the uploaded bundle's sha256 is ${digest}, not ${expected}: it changed or was damaged on the way; publish it again`, 'digest_mismatch');
    // Unpacking reads the zip at random offsets: it needs a local file, whatever the blob store.
    await mkdir(path.dirname(local), { recursive: true });
    await pipeline(await deps.blobs.get(key), createWriteStream(local));
    const { competition, created } = await installBundleZip(deps, user, local);
    const result = { slug: competition.slug, title: competition.config.title, created };
    await uploads.markCompleted(upload.id, result);
    return result;
  } catch (err) {
    await removeParts(deps.blobs, upload.id);
    await uploads.delete(upload.id);
    throw err;
  } finally {
    await rm(local, { force: true });
    await deps.blobs.delete(key);
  }
}
