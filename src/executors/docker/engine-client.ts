import http from 'node:http';
import type { Duplex, Readable } from 'node:stream';

/**
 * The Docker Engine API answered with an error status (or could not be reached). `status` is the
 * HTTP status (0: no answer at all), `message` the engine's own words.
 */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** API version sent in every path: podman 4 and Docker 20+ both serve 1.41. */
const apiVersion = 'v1.41';

/** Parses `unix:///path/to/socket` (or a bare absolute path). */
export function socketPathOf(dockerHost: string): string {
  if (dockerHost.startsWith('unix://')) return dockerHost.slice('unix://'.length);
  if (dockerHost.startsWith('/')) return dockerHost;
  throw new Error(`HOLDOUT_DOCKER_HOST must be unix:///path/to/socket (got "${dockerHost}"); TCP engines are not supported`);
}

interface RequestOptions {
  body?: unknown;
  /** A raw request body (e.g. a tar stream) instead of JSON. */
  stream?: Readable;
  contentType?: string;
  /** Aborts the request (not the container). */
  signal?: AbortSignal;
}

/**
 * A small client of the Docker Engine API over a unix socket: plain node:http, JSON in and out.
 * @remarks Chosen over dockerode, which brings 67 packages for the dozen calls an executor makes
 * (create, attach, start, wait, kill, inspect, delete, list, import, tag, pull).
 */
export class EngineClient {
  readonly #socketPath: string;
  readonly #agent: http.Agent;

  constructor(dockerHost: string) {
    this.#socketPath = socketPathOf(dockerHost);
    // Kept-alive connections save a connect per call; each run makes about six calls.
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  /** Where the engine listens, for messages. */
  get socketPath(): string {
    return this.#socketPath;
  }

  /** One call; resolves with the parsed JSON answer (or null for an empty one). @throws EngineError */
  async json<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const text = await this.text(method, path, options);
    return (text === '' ? null : JSON.parse(text)) as T;
  }

  /** One call; resolves with the raw answer (progress streams are JSON documents one after another). @throws EngineError */
  text(method: string, path: string, options: RequestOptions = {}): Promise<string> {
    return this.#request(method, path, options);
  }

  /**
   * Opens the container's attach stream (stdout and stderr, multiplexed) before it starts, so no
   * byte is missed and nothing is stored by the engine.
   */
  attach(id: string): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: this.#socketPath,
        method: 'POST',
        path: `/${apiVersion}/containers/${id}/attach?stream=1&stdout=1&stderr=1`,
        headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
      });
      req.on('upgrade', (_res, socket) => resolve(socket));
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => reject(new EngineError(`attach to container ${id}: ${engineMessage(text, res.statusCode ?? 0)}`, res.statusCode ?? 0)));
      });
      req.on('error', (error) => reject(this.#unreachable(error)));
      req.end();
    });
  }

  /** Closes kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  #request(method: string, path: string, options: RequestOptions): Promise<string> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (options.stream) headers['content-type'] = options.contentType ?? 'application/octet-stream';
      const req = http.request(
        { socketPath: this.#socketPath, agent: this.#agent, method, path: `/${apiVersion}${path}`, headers, ...(options.signal ? { signal: options.signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(text);
            else reject(new EngineError(`${method} ${path.split('?')[0]}: ${engineMessage(text, status)}`, status));
          });
        },
      );
      req.on('error', (error) => reject(this.#unreachable(error)));
      if (options.stream) options.stream.on('error', (error) => req.destroy(error)).pipe(req);
      else req.end(body);
    });
  }

  #unreachable(error: Error): Error {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      return new EngineError(
        `no container engine answers at ${this.#socketPath} (${code}); start it (podman: "podman system service --time=0 unix://${this.#socketPath}") or set HOLDOUT_DOCKER_HOST`,
        0,
      );
    }
    return error;
  }
}

/** The engine's error text ({"message": …}), or the raw body. */
function engineMessage(text: string, status: number): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return `${parsed.message} (HTTP ${status})`;
  } catch {
    // Not JSON: say what came.
  }
  return `HTTP ${status} ${text.slice(0, 300).trim()}`;
}
