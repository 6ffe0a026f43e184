import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import * as tus from 'tus-js-client';
import type { ApiClient } from './api-client.js';
import { CliError, exitCodes } from './exit-codes.js';
import { cacheDir } from './user-config.js';

// Node's build exports FileUrlStorage; the package's types leave it out.
const { FileUrlStorage } = tus as unknown as { FileUrlStorage: new (file: string) => NonNullable<tus.UploadOptions['urlStorage']> };

/** Chunks of this size: a killed upload loses nothing (the server keeps what arrived), a refused chunk costs at most this much. */
const CHUNK_BYTES = 64 << 20;

/** Bytes per read of the file. tus-js-client's own file reader reads 64 KiB at a time, and each
 * read's buffer is garbage for V8 to collect: for a 2 GB upload, half the client's CPU (bench/upload). */
const READ_BYTES = 1 << 20;

/**
 * tus-js-client's reader of a file (the fs.ReadStream given as the upload's input), reading each
 * chunk's slice 1 MiB at a time.
 */
export const fileReader: NonNullable<tus.UploadOptions['fileReader']> = {
  async openFile(input: ReadStream) {
    const { size } = await stat(input.path);
    let slice: ReadStream | undefined;
    return {
      size,
      async slice(start: number, end: number) {
        const stop = Math.min(end, size);
        // An empty file (or a start at its end): createReadStream cannot take end = start - 1.
        if (stop <= start) return { value: Buffer.alloc(0), done: true };
        // `size` gives the request its Content-Length, as tus-js-client's own file source does.
        slice = Object.assign(createReadStream(input.path, { start, end: stop - 1, highWaterMark: READ_BYTES }), { size: stop - start });
        return { value: slice, done: stop >= size };
      },
      close() {
        slice?.destroy();
        input.destroy();
      },
    };
  },
};

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
      fileReader,
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
