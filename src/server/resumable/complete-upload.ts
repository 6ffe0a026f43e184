import { ArchiveError, checkEntryPoint, inspectZip } from '../../archive/safe-unzip.js';
import { isUniqueViolation, QuotaExceededError } from '../../db/db-errors.js';
import type { Upload } from '../../db/uploads-repo.js';
import { entryFile } from '../../domain/entry-file.js';
import type { SubmissionKind } from '../../domain/submission.js';
import type { FastifyReply } from 'fastify';
import type { RequestUser } from '../access.js';
import { HttpError } from '../http-error.js';
import { admitSubmission, queuedRow } from '../routes/submission-admission.js';
import { phaseConfig } from '../../domain/phases.js';
import type { ServerDeps } from '../server-deps.js';
import { assembleParts, removeParts } from './upload-parts.js';
import type { UploadsRepo } from '../../db/uploads-repo.js';

/** A submission's upload: it belongs to a competition from its start. */
export type SubmissionUpload = Upload & { kind: SubmissionKind; competitionId: string };

export function isSubmissionUpload(u: Upload): u is SubmissionUpload {
  return u.kind !== 'bundle' && u.competitionId !== null;
}

/**
 * Turns a fully received upload into a queued submission whose id is the upload's: assembles the
 * parts into the zip's blob, checks the announced sha256 and the zip's central directory, and takes
 * one quota slot, atomically (the same guarantee as a one-request upload). Any refusal removes the
 * upload and its blobs: nothing is left half-visible, and the client's next try starts afresh.
 * @remarks Idempotent: a second call for a completed upload changes nothing.
 */
export async function completeUpload(deps: ServerDeps, uploads: UploadsRepo, upload: SubmissionUpload, user: RequestUser, reply: FastifyReply): Promise<void> {
  if (upload.completed || (await deps.submissions.get(upload.id))) return;
  const c = await deps.competitions.byId(upload.competitionId);
  const zipKey = c ? `submissions/${c.slug}/${upload.id}.zip` : undefined;
  try {
    if (!c || !zipKey) throw new HttpError(404, 'the competition of this upload no longer exists');
    const now = new Date();
    // The phase may have closed, or the quota been used, since the upload began.
    const admission = await admitSubmission(deps, user, c, upload.kind, reply, now);
    const digest = await assembleParts(deps.blobs, zipKey, upload.id, upload.parts, upload.length, Boolean(upload.metadata.sha256));
    const expected = upload.metadata.sha256?.toLowerCase();
    if (expected && digest !== expected)
      throw new HttpError(460, `the uploaded file's sha256 is ${digest}, not ${expected}: it changed or was damaged on the way; submit it again`, 'digest_mismatch');
    const entries = await inspectZip(
      { size: upload.length, readRange: (start, end) => deps.blobs.get(zipKey, { start, end }) },
      { maxBytes: deps.config.maxUnpackedBytes, maxFiles: deps.config.maxFiles },
    );
    // A results phase takes predictions: no entry point to look for (resumable result uploads are zips).
    const entry = admission.results ? undefined : entryFile(phaseConfig(c.config, admission.phase.name).entrypoint);
    if (entry) checkEntryPoint(entries, entry);
    await deps.quota.insertWithinQuota(queuedRow(upload.id, c, user, upload.kind, admission, { key: zipKey, bytes: upload.length, ...(digest ? { sha256: digest } : {}) }, now), admission.owner, admission.phase.dailyQuota)
      .catch((err: unknown) => {
        if (err instanceof QuotaExceededError) throw admission.quotaError();
        throw err;
      });
    // The daily slot is atomic; the phase's total is re-counted after the insert, and a racing extra one taken back.
    if (await admission.overTotal()) {
      await deps.submissions.deleteRow(upload.id);
      throw admission.totalError();
    }
    await uploads.markCompleted(upload.id);
    deps.worker?.wake();
  } catch (err) {
    // Another request completed it at the same moment: that one's submission stands.
    if (isUniqueViolation(err)) return;
    if (zipKey) await deps.blobs.delete(zipKey);
    await removeParts(deps.blobs, upload.id);
    await uploads.delete(upload.id);
    if (err instanceof ArchiveError) throw new HttpError(400, `submission.zip: ${err.message}`, 'invalid_archive');
    throw err;
  }
}
