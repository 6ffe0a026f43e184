/** A test client of the API as a browser uses it: a cookie session with the CSRF header. */
export class CookieClient {
  private readonly jar = new Map<string, string>();

  constructor(readonly url: string) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  /** Sends a request with the jar's cookies; `csrf: false` leaves out the CSRF header. */
  async fetch(path: string, init: { method?: string; json?: unknown; csrf?: boolean; headers?: Record<string, string>; body?: FormData } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.csrf !== false && this.jar.has('holdout_csrf') && !('x-csrf-token' in headers)) headers['x-csrf-token'] = this.jar.get('holdout_csrf') ?? '';
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${path}`, {
      method: init.method ?? (init.json !== undefined || init.body ? 'POST' : 'GET'),
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : init.body ? { body: init.body } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      if (/Max-Age=0/.test(line)) this.jar.delete(name);
      else this.jar.set(name, pair.slice(i + 1));
    }
    return res;
  }
}

/** JSON request with a bearer token (or none); returns status and parsed body. */
export async function call(url: string, method: string, path: string, token?: string, json?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV, logs and empty bodies stay text.
  }
  return { status: res.status, body };
}
