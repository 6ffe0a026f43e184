/**
 * The HTTP status of an error of @kubernetes/client-node (its ApiException carries `code`; a watch
 * error `statusCode`), read by shape so that callers need not load the client to ask.
 */
export function apiStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number') return code;
  return typeof statusCode === 'number' ? statusCode : undefined;
}
