import { request } from 'node:http';
import { createHash } from 'node:crypto';

/** Raw tus requests, for the protocol's edge cases (tus-js-client covers the ordinary path). */
export function tusHeaders(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'tus-resumable': '1.0.0', ...extra };
}

export function metadata(fields: Record<string, string>): string {
  return Object.entries(fields).map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`).join(',');
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Creates an upload; returns the absolute upload URL. */
export async function createUpload(base: string, token: string, slug: string, length: number, meta: Record<string, string> = {}, query = ''): Promise<Response & { uploadUrl: string }> {
  const res = await fetch(`${base}/api/competitions/${slug}/submissions/uploads${query}`, {
    method: 'POST',
    headers: tusHeaders(token, { 'upload-length': String(length), 'upload-metadata': metadata(meta) }),
  });
  return Object.assign(res, { uploadUrl: new URL(res.headers.get('location') ?? '/missing', base).toString() });
}

export async function patch(uploadUrl: string, token: string, offset: number, body: Buffer, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(uploadUrl, {
    method: 'PATCH',
    headers: tusHeaders(token, { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), ...extra }),
    body: new Uint8Array(body),
  });
}

export async function offsetOf(uploadUrl: string, token: string): Promise<{ status: number; offset: number }> {
  const res = await fetch(uploadUrl, { method: 'HEAD', headers: tusHeaders(token) });
  return { status: res.status, offset: Number(res.headers.get('upload-offset')) };
}

/**
 * A PATCH that sends `sent` of `announced` bytes and then drops the connection, as a client that
 * is killed mid-upload. Resolves once the socket is gone.
 */
export function patchThenDie(uploadUrl: string, token: string, offset: number, sent: Buffer, announced: number, extra: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve) => {
    const req = request(uploadUrl, {
      method: 'PATCH',
      headers: tusHeaders(token, { 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), 'content-length': String(announced), ...extra }),
    });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(sent, () => setTimeout(() => req.destroy(), 200));
  });
}
