import { formatBytes } from '../domain/format-bytes.js';
import { HttpError } from './http-error.js';

/**
 * Our codes and words for the errors Fastify and its multipart plugin raise before a route runs
 * (a body that is not JSON, a wrong content type, …): a client reads `invalid_json`, not
 * `FST_ERR_CTP_INVALID_JSON_BODY`. Pure; undefined for an error that is not one of theirs.
 */
export function frameworkError(err: { code?: string; statusCode?: number; message: string }, limits: { bodyBytes: number; uploadBytes: number }): HttpError | undefined {
  const code = err.code ?? '';
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new HttpError(400, code.endsWith('EMPTY_JSON_BODY') ? 'the body is empty; send a JSON object, or no content-type header' : 'the body is not valid JSON; check quotes and commas', 'invalid_json');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new HttpError(415, 'this content type is not accepted here: send JSON (content-type: application/json), or multipart/form-data for a file upload', 'unsupported_media_type');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, `the request body is larger than the ${formatBytes(limits.bodyBytes)} a JSON request may be`, 'payload_too_large');
    case 'FST_REQ_FILE_TOO_LARGE':
      return new HttpError(413, `the file is larger than the limit of ${formatBytes(limits.uploadBytes)}; remove files you do not need`, 'payload_too_large');
    case 'FST_FILES_LIMIT_ERR':
    case 'FST_PARTS_LIMIT_ERR':
    case 'FST_FIELDS_LIMIT_ERR':
      return new HttpError(400, 'send one file field and at most a few others', 'bad_request');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new HttpError(400, 'the content-length header does not match the body', 'bad_request');
  }
  // Any other error of theirs with a client status keeps the status, in our shape and without their code.
  if (code.startsWith('FST_') && err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return new HttpError(err.statusCode, err.message.replace(/^FST_\w+:?\s*/, ''));
  }
  return undefined;
}
