import * as tus from 'tus-js-client';
import { ApiError, csrfToken, type Upload } from './api.js';

/**
 * Chunks of this size: each is a request of its own, so a dropped connection or a closed tab
 * costs at most the chunk in flight (the server also keeps what arrived of it).
 */
const CHUNK_BYTES = 16 << 20;

/** The API's `{ error, message, details }` from a tus request's answer, as the other calls report it. */
function apiErrorOf(error: Error, file: File): ApiError {
  const res = (error as tus.DetailedError).originalResponse;
  if (!res) return new ApiError(0, 'network', `the upload of ${file.name} stopped (the connection dropped); choose the same file again to continue where it stopped`);
  let body: { error?: string; message?: string; details?: unknown } = {};
  try {
    body = JSON.parse(res.getBody()) as typeof body;
  } catch {
    // Not JSON: reported by status below.
  }
  return new ApiError(res.getStatus(), body.error ?? 'error', body.message ?? `upload failed (${res.getStatus()})`, body.details);
}

/**
 * Uploads `file` over tus to a creation endpoint of the API (`/api…` path) and resolves with the
 * upload's id. Resumable across page reloads: tus-js-client keeps the upload URL in localStorage
 * under the file's name, type, size and modification time and this endpoint, so choosing the same
 * file again continues from the server's offset; `onResume` is called then, before the first byte.
 * Cancelling removes the upload on the server: nothing is created.
 */
export function resumableUpload(path: string, file: File, onProgress: (fraction: number) => void, opts: { metadata?: Record<string, string>; onResume?: () => void } = {}): Upload<string> {
  let upload: tus.Upload | undefined;
  let cancelled = false;
  let rejectDone: (e: unknown) => void = () => {};
  const done = new Promise<string>((resolve, reject) => {
    rejectDone = reject;
    upload = new tus.Upload(file, {
      endpoint: new URL(`/api${path}`, location.href).toString(),
      headers: { 'x-csrf-token': csrfToken() },
      metadata: { filename: file.name, ...opts.metadata },
      chunkSize: CHUNK_BYTES,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      retryDelays: [0, 1000, 3000, 5000],
      onProgress: (sent, total) => onProgress(total ? sent / total : 0),
      onSuccess: () => resolve(upload?.url?.split('/').pop() ?? ''),
      onError: (error) => reject(apiErrorOf(error, file)),
    });
    const u = upload;
    u.findPreviousUploads().then((previous) => {
      if (cancelled) return;
      const last = previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
      if (last) {
        u.resumeFromPreviousUpload(last);
        opts.onResume?.();
      }
      u.start();
    }, reject);
  });
  return {
    done,
    cancel: () => {
      cancelled = true;
      // true: the server removes what it stored; the next upload of this file starts afresh.
      void upload?.abort(true).catch(() => {});
      rejectDone(new ApiError(0, 'cancelled', `the upload of ${file.name} was cancelled; nothing was submitted`));
    },
  };
}
