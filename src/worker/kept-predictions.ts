import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openPredictions } from '../scoring/open-predictions.js';
import type { BlobStore } from '../storage/blob-store.js';
import { predictionsKey } from '../domain/kept-predictions.js';

// The key lives in domain/: the server checks it too before offering a re-score.
export { predictionsKey };


/**
 * Copies the predictions file a run wrote to the blob store, when it is a regular file within the
 * output limit (opened like the scorer opens it: no links, no fifos); anything else is not kept,
 * and scoring reports why.
 */
export async function keepPredictions(blobs: BlobStore, submissionId: string, file: string, maxBytes: number): Promise<void> {
  const opened = await openPredictions(file, maxBytes, '');
  if (!opened.ok) {
    await blobs.delete(predictionsKey(submissionId));
    return;
  }
  await blobs.put(predictionsKey(submissionId), opened.handle.createReadStream());
}

/** Fetches kept predictions to `file`; false when none were kept (runs from before, or none written). */
export async function fetchKeptPredictions(blobs: BlobStore, submissionId: string, file: string): Promise<boolean> {
  if (!(await blobs.stat(predictionsKey(submissionId)))) return false;
  await mkdir(path.dirname(file), { recursive: true });
  await pipeline(await blobs.get(predictionsKey(submissionId)), createWriteStream(file, { flags: 'wx' }));
  return true;
}
