import { HttpError } from '../http-error.js';

/** The tus version spoken (https://tus.io/protocols/resumable-upload). */
export const TUS_VERSION = '1.0.0';
export const TUS_EXTENSIONS = 'creation,termination,expiration,checksum';
export const CHECKSUM_ALGORITHMS = ['sha256', 'sha1', 'md5'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** `Upload-Metadata: key base64,key2 base64` → { key: value }. Pure. @throws HttpError 400 */
export function parseMetadata(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(',')) {
    const [key, value = '', ...rest] = pair.trim().split(' ');
    if (!key || rest.length > 0 || !/^[A-Za-z0-9+/=]*$/.test(value)) throw new HttpError(400, `Upload-Metadata is malformed near "${pair.trim()}": expected "key base64value" pairs separated by commas`);
    out[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return out;
}

/** A non-negative integer header (Upload-Length, Upload-Offset), or undefined when absent. Pure. @throws HttpError 400 */
export function byteCountHeader(name: string, value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) throw new HttpError(400, `${name} must be a number of bytes, not ${JSON.stringify(value)}`);
  return Number(value);
}

/** `Upload-Checksum: sha256 <base64>` of one PATCH body (tus checksum extension). Pure. @throws HttpError 400 */
export function parseChecksum(header: string | string[] | undefined): { algorithm: ChecksumAlgorithm; digest: string } | undefined {
  if (header === undefined) return undefined;
  const [algorithm, digest, ...rest] = String(header).trim().split(' ');
  if (!CHECKSUM_ALGORITHMS.includes(algorithm as ChecksumAlgorithm) || !digest || rest.length > 0)
    throw new HttpError(400, `Upload-Checksum must be "<algorithm> <base64 digest>" with one of ${CHECKSUM_ALGORITHMS.join(', ')}`, 'unsupported_checksum');
  return { algorithm: algorithm as ChecksumAlgorithm, digest };
}
