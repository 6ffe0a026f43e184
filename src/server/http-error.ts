/** An error meant for the client: its status and message become the JSON response. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Machine-readable code, e.g. "quota_exceeded". */
    readonly code: string = defaultCode(status),
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

function defaultCode(status: number): string {
  return (
    {
      400: 'bad_request',
      401: 'unauthorized',
      403: 'forbidden',
      404: 'not_found',
      409: 'conflict',
      413: 'payload_too_large',
      422: 'invalid',
      429: 'too_many_requests',
    }[status] ?? 'error'
  );
}

export const notFound = (what: string) => new HttpError(404, `${what} not found`);
