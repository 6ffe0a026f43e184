import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { CliError, type ExitCode, exitCodes } from './exit-codes.js';

/** An error answer of the Holdout API (`{ error, message }`), with the exit code it maps to. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(message, exitCodeFor(status, code), code);
    this.name = 'ApiError';
  }
}

/** The one mapping from HTTP answers to exit codes. Pure. */
export function exitCodeFor(status: number, code: string): ExitCode {
  if (code === 'rules_not_accepted' || code === 'disqualified') return exitCodes.refused;
  if (status === 401 || status === 403) return exitCodes.auth;
  if (status === 404) return exitCodes.notFound;
  if (status === 409 || status === 429) return exitCodes.refused;
  if (status >= 400 && status < 500) return exitCodes.invalidInput;
  return exitCodes.failure;
}

/** A file name as a multipart header carries it: quotes, line breaks and non-ASCII become "_". */
export function fileNameField(name: string): string {
  return name.replace(/[^\x20-\x7e]|["\\]/g, '_');
}

/** One server-sent event. */
export interface ServerEvent {
  event: string;
  data: string;
}

/** Splits a server-sent event stream into events (`event:` and `data:` lines). Pure per block. */
export function parseEventBlock(block: string): ServerEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length === 0 && event === 'message' ? undefined : { event, data: data.join('\n') };
}

/**
 * The Holdout HTTP API as the CLI uses it, on Node's fetch. Every failure becomes a CliError
 * with one line a person can act on: an unreachable server, a refused token, the API's message.
 */
export class ApiClient {
  constructor(
    readonly server: string,
    private readonly token?: string,
  ) {}

  /** Sends a request and returns the response if it is 2xx; throws ApiError/CliError otherwise. */
  async request(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; raw?: RequestInit } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: RequestInit['body'];
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.body);
    }
    let res: Response;
    try {
      res = await fetch(`${this.server}${path}`, { method, headers, ...(body === undefined ? {} : { body }), ...init.raw });
    } catch (error) {
      throw this.#unreachable(error);
    }
    if (res.ok) return res;
    throw await this.#apiError(res);
  }

  /** A JSON request; the parsed answer (undefined for 204). */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body === undefined ? {} : { body });
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  /** The headers that authenticate a request, for clients of other protocols (tus). */
  authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** The API's error answer as the CLI reports it. */
  apiError(res: Response): Promise<CliError> {
    return this.#apiError(res);
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /**
   * Uploads a file as the one `file` field of a multipart/form-data body, streamed from disk
   * (never held in memory), calling `onProgress` with the bytes sent so far.
   */
  async upload<T>(path: string, file: string, onProgress?: (sent: number, total: number) => void): Promise<T> {
    const size = (await stat(file)).size;
    const boundary = `holdout-${randomBytes(12).toString('hex')}`;
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileNameField(basename(file))}"\r\nContent-Type: application/zip\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    async function* parts(): AsyncGenerator<Buffer> {
      yield head;
      let sent = 0;
      for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
        sent += (chunk as Buffer).length;
        onProgress?.(sent, size);
        yield chunk as Buffer;
      }
      yield tail;
    }
    const res = await this.request('POST', path, {
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + size + tail.length) },
      raw: { body: Readable.toWeb(Readable.from(parts())) as ReadableStream, duplex: 'half' } as RequestInit,
    });
    return (await res.json()) as T;
  }

  /** Server-sent events of `path`, as they arrive; ends when the server closes the stream. */
  async *events(path: string, signal?: AbortSignal): AsyncGenerator<ServerEvent> {
    const res = await this.request('GET', path, { headers: { accept: 'text/event-stream' }, ...(signal ? { raw: { signal } } : {}) });
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, '\n');
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = parseEventBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event) yield event;
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw this.#unreachable(error);
    }
  }

  #unreachable(error: unknown): CliError {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return new CliError(`cannot reach the Holdout server at ${this.server} (${why}); is it running, and is the URL right?`, exitCodes.unreachable);
  }

  async #apiError(res: Response): Promise<CliError> {
    const text = await res.text().catch(() => '');
    let code = 'error';
    let message = text.trim().slice(0, 300) || res.statusText;
    try {
      const body = JSON.parse(text) as { error?: string; message?: string };
      code = body.error ?? code;
      message = body.message ?? message;
    } catch {
      // not JSON: keep the text; a proxy or another program answered
    }
    if (res.status === 401 && code !== 'bad_credentials') {
      return this.token
        ? new ApiError(401, code, `${this.server} refused the saved token (revoked or expired); run "holdout login --server ${this.server}" again`)
        : new ApiError(401, code, `you are not logged in to ${this.server}; run "holdout login --server ${this.server}"`);
    }
    return new ApiError(res.status, code, message);
  }
}
