import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import * as tus from 'tus-js-client';
import type { ApiClient } from './api-client.js';
import { CliError, exitCodes } from './exit-codes.js';
import { cacheDir } from './user-config.js';

// Node's build exports FileUrlStorage; the package's types leave it out.
const { FileUrlStorage } = tus as unknown as { FileUrlStorage: new (file: string) => NonNullable<tus.UploadOptions['urlStorage']> };

/** Chunks of this size: a killed upload loses nothing (the server keeps what arrived), a refused chunk costs at most this much. */
const CHUNK_BYTES = 64 << 20;

/** The sha256 of a file, streamed; the server checks the assembled upload against it. */
async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Uploads `file` to a tus creation endpoint of the API (`path`) and resolves with the upload's id
 * (a submission's is the submission's). An interrupted upload — Ctrl+C, a killed process, a
 * dropped network — resumes where the server stopped receiving when the same bytes are uploaded
 * again to the same endpoint: tus-js-client keeps the upload URL in the cache folder under the
 * file's sha256 and the endpoint (not its path or mtime: `competition publish` zips the bundle
 * afresh each time, to the same bytes).
 * `metadata`: more Upload-Metadata (a bundle's slug).
 */
export async function resumableUpload(client: ApiClient, apiPath: string, file: string, onProgress?: (sent: number, total: number) => void, env: NodeJS.ProcessEnv = process.env, metadata: Record<string, string> = {}): Promise<string> {
  const dir = cacheDir(env);
  await mkdir(dir, { recursive: true });
  const sha256 = await sha256Of(file);
  const endpoint = `${client.server}${apiPath}`;
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(createReadStream(file), {
      endpoint,
      headers: client.authHeaders(),
      metadata: { filename: path.basename(file), sha256, ...metadata },
      fingerprint: async () => `holdout-${sha256}-${endpoint}`,
      chunkSize: CHUNK_BYTES,
      urlStorage: new FileUrlStorage(path.join(dir, 'uploads.json')),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      retryDelays: [0, 1000, 3000],
      onProgress: (sent, total) => onProgress?.(sent, total),
      onSuccess: () => resolve(upload.url?.split('/').pop() ?? ''),
      onError: (error) => {
        const res = (error as tus.DetailedError).originalResponse;
        if (!res) return reject(new CliError(`the upload to ${client.server} stopped (${error.message}); run the same command again to continue where it stopped`, exitCodes.unreachable));
        // The API's own `{ error, message }`, as every other command reports it.
        const body = res.getBody();
        void client.apiError(new Response(body, { status: res.getStatus() })).then(reject, reject);
      },
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous[0]) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    }, reject);
  });
}
