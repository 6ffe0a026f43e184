import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

/** HttpOnly: the session token; scripts (and so injected scripts) never read it. */
export const SESSION_COOKIE = 'holdout_session';
/** Readable by the app's own script, which echoes it in {@link CSRF_HEADER}. */
export const CSRF_COOKIE = 'holdout_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** Cookies of a request by name (first one wins). */
export function readCookies(req: FastifyRequest): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    if (!out.has(name)) {
      try {
        out.set(name, decodeURIComponent(part.slice(i + 1).trim()));
      } catch {
        // A malformed cookie is ignored like a missing one.
      }
    }
  }
  return out;
}

function cookie(name: string, value: string, opts: { httpOnly: boolean; maxAgeS: number; secure: boolean }): string {
  return [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'SameSite=Lax', `Max-Age=${opts.maxAgeS}`, ...(opts.httpOnly ? ['HttpOnly'] : []), ...(opts.secure ? ['Secure'] : [])].join('; ');
}

const isSecure = (req: FastifyRequest) => req.protocol === 'https';

/** Sets the session cookie and a fresh CSRF token cookie. */
export function setSessionCookies(req: FastifyRequest, reply: FastifyReply, token: string, expiresAt: string): void {
  const maxAgeS = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000));
  const secure = isSecure(req);
  reply.header('set-cookie', [
    cookie(SESSION_COOKIE, token, { httpOnly: true, maxAgeS, secure }),
    cookie(CSRF_COOKIE, randomBytes(18).toString('base64url'), { httpOnly: false, maxAgeS, secure }),
  ]);
}

export function clearSessionCookies(req: FastifyRequest, reply: FastifyReply): void {
  const secure = isSecure(req);
  reply.header('set-cookie', [cookie(SESSION_COOKIE, '', { httpOnly: true, maxAgeS: 0, secure }), cookie(CSRF_COOKIE, '', { httpOnly: false, maxAgeS: 0, secure })]);
}

const unsafe = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Cross-site request forgery defence for state-changing requests:
 * 1. any unsafe request whose `Origin` names another host is refused (browsers always send
 *    Origin on cross-site POSTs; this also stops login CSRF, which carries no cookie yet);
 * 2. a cookie-authenticated unsafe request must echo the CSRF cookie in the `x-csrf-token`
 *    header (double submit): another site can neither read our cookie nor set that header
 *    without a CORS preflight, which this server never grants.
 * Bearer-token requests need neither: a browser never adds an Authorization header by itself.
 */
export function checkCsrf(req: FastifyRequest, viaCookie: boolean, cookies: Map<string, string>): void {
  if (!unsafe.has(req.method)) return;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.headers.host) throw new HttpError(403, `cross-site request refused (Origin ${origin})`, 'csrf');
  }
  if (!viaCookie) return;
  const expected = Buffer.from(cookies.get(CSRF_COOKIE) ?? '');
  const sent = Buffer.from(String(req.headers[CSRF_HEADER] ?? ''));
  if (expected.length === 0 || sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    throw new HttpError(403, `send the ${CSRF_HEADER} header with the value of the ${CSRF_COOKIE} cookie`, 'csrf');
  }
}
