import { Readable } from 'node:stream';

/** The server could not be reached or answered 5xx: the same call may work in a moment. */
export class ServerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerUnavailableError';
  }
}

/** The server refused the call (4xx): its code and message say why. */
export class WorkerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'WorkerApiError';
  }
}

export interface WorkerApiRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  query?: Record<string, string>;
  json?: unknown;
  /** A raw body (PUT of a blob), streamed. */
  body?: Readable;
  /** Statuses returned to the caller instead of thrown (e.g. 404 for a missing blob, 409 for a lease). */
  accept?: readonly number[];
}

/** The worker API of a Holdout server, with a worker token: `fetch` and nothing else. */
export class WorkerApi {
  readonly #base: string;

  constructor(
    server: string,
    private readonly token: string,
    /** How long one call may take (a blob transfer included). @defaultValue 10 minutes */
    private readonly timeoutMs = 600_000,
  ) {
    this.#base = server.replace(/\/+$/, '');
  }

  get server(): string {
    return this.#base;
  }

  /** One call; throws ServerUnavailableError (retry later) or WorkerApiError (refused). */
  async call(path: string, req: WorkerApiRequest = {}): Promise<Response> {
    const url = new URL(`${this.#base}/api/worker${path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let body: BodyInit | undefined;
    if (req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(req.json);
    } else if (req.body) {
      headers['content-type'] = 'application/octet-stream';
      body = Readable.toWeb(req.body) as ReadableStream;
    }
    let res: Response;
    try {
      // A redirect to a signed URL of the blob store is followed; fetch drops the token on the way.
      res = await fetch(url, { method: req.method ?? 'GET', headers, ...(body ? { body, duplex: 'half' } : {}), signal: AbortSignal.timeout(this.timeoutMs) } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ServerUnavailableError(`the Holdout server at ${this.#base} cannot be reached: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (res.ok || req.accept?.includes(res.status)) return res;
    const text = await res.text().catch(() => '');
    let parsed: { error?: string; message?: string } = {};
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      // not our JSON (a proxy's page, a blob store's XML)
    }
    const message = parsed.message ?? (text.slice(0, 300) || res.statusText);
    if (res.status >= 500 || res.status === 429) throw new ServerUnavailableError(`the Holdout server at ${this.#base} answered ${res.status}: ${message}`);
    throw new WorkerApiError(res.status, parsed.error ?? 'error', `${req.method ?? 'GET'} ${url.pathname}: ${res.status} ${message}`);
  }

  async json<T>(path: string, req: WorkerApiRequest = {}): Promise<T> {
    return (await (await this.call(path, req)).json()) as T;
  }
}
