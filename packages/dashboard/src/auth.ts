/**
 * Who may change things. Bound to loopback (the default), only this machine
 * reaches the dashboard; bound elsewhere, every request that changes
 * anything must carry the token. Reading stays open: the numbers are not
 * secret, and a farm's screen on a wall should need no login.
 *
 * A person types the token into the page once (POST /api/session), or opens
 * a link with `?token=` once: either way the server answers with an
 * HttpOnly, SameSite=Strict cookie that holds a digest of the token, never
 * the token, and the link is answered with a redirect to the page without
 * it, so the token stays out of the page's address, its history entry and
 * every Referer. A program sends `Authorization: Bearer <token>`. Anywhere
 * else a token in the address is refused: it would end up in logs.
 *
 * Two browser attacks reach even a loopback server, and both are refused
 * here: another site's page posting to it (a POST's Origin must be the
 * dashboard's own; the cookie is SameSite=Strict besides), and DNS
 * rebinding (on loopback, the Host header must name loopback).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteFlags } from './context.js';
import { HttpError } from './errors.js';

/** The cookie that says "this browser was given the token". */
export const SESSION_COOKIE = 'pcfarm_session';

/** How long a browser keeps it: a week of a farm on a wall, then the token again. */
export const SESSION_AGE_S = 7 * 24 * 3600;

/**
 * The shortest token a dashboard beyond loopback takes: guessed one request
 * at a time, 16 characters of hex are 2^64 tries; a short one (a word, "t")
 * falls to a script over a network in minutes.
 */
export const TOKEN_LENGTH_MIN = 16;

/** Whether a host name or address is this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The host name of a Host header (`127.0.0.1:8080`, `[::1]:80`, `localhost`). */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  const colon = header.lastIndexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Compare in constant time: a token must not leak a character at a time. */
function same(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The session cookie's value for a token: a digest, so the browser never holds the token itself. */
export function sessionValue(token: string): string {
  return createHash('sha256').update(`pcfarm-session\0${token}`).digest('base64url');
}

/** The Set-Cookie value that signs a browser in (or, with null, out). */
export function sessionCookie(token: string | null, secure: boolean): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  if (token === null) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attrs].join('; ');
  return [`${SESSION_COOKIE}=${sessionValue(token)}`, `Max-Age=${SESSION_AGE_S}`, ...attrs].join('; ');
}

/** Whether the token is right; for the session route. */
export function tokenMatches(given: string, token: string): boolean {
  return same(given, token);
}

/** Whether this request carries the session cookie of this token. */
export function signedIn(request: FastifyRequest, token: string | undefined): boolean {
  if (token === undefined) return true;
  const cookie = request.cookies?.[SESSION_COOKIE];
  return typeof cookie === 'string' && same(cookie, sessionValue(token));
}

export interface GuardOptions {
  /** When set, every request that changes anything must carry it. */
  token?: string | undefined;
  /** Served on loopback: refuse a Host header that is not loopback (DNS rebinding). */
  loopbackOnly: boolean;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The page's own addresses, where a `?token=` link is taken (and exchanged for the cookie). */
const PAGE_PATHS = new Set(['/', '/index.html']);

function queryToken(request: FastifyRequest): string | null {
  const q = request.url.indexOf('?');
  if (q < 0) return null;
  return new URLSearchParams(request.url.slice(q + 1)).get('token');
}

/** The page's address without its `token` parameter. */
function withoutToken(url: string): string {
  const q = url.indexOf('?');
  const params = new URLSearchParams(url.slice(q + 1));
  params.delete('token');
  const rest = params.toString();
  return `${url.slice(0, q)}${rest === '' ? '' : `?${rest}`}`;
}

const WRONG_LINK = `<!doctype html><meta charset="utf-8"><title>pcfarm: wrong token</title>
<p>The token in this link is not this dashboard's. Open <a href="/">the dashboard</a> and type the token into its token field, or ask whoever runs it for a new link.</p>`;

/**
 * The onRequest hook: the Host and Origin checks, and `?token=` (exchanged
 * on the page's address, refused anywhere else).
 */
export function guard(options: GuardOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    const host = request.headers.host ?? '';
    if (options.loopbackOnly && !isLoopback(hostName(host))) {
      throw new HttpError(403, 'EHOST', `this dashboard serves loopback only, not host ${JSON.stringify(host)}; bind it elsewhere with --host and a token`);
    }
    const linked = queryToken(request);
    if (linked !== null) {
      const path = request.url.split('?')[0]!;
      if (!(SAFE.has(request.method) && PAGE_PATHS.has(path))) {
        throw new HttpError(
          400,
          'ETOKENINURL',
          'a token in the address is refused here: addresses end up in logs and browser history. A program sends the header Authorization: Bearer <token>; a person opens the page and types the token into its token field',
        );
      }
      if (options.token !== undefined && !same(linked, options.token)) {
        void reply.status(401).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(WRONG_LINK);
        return reply;
      }
      // 303 to the same page without the token: the address bar, the history entry the page
      // gets and the Referer of its style sheet and scripts never hold it.
      if (options.token !== undefined) void reply.header('set-cookie', sessionCookie(options.token, request.protocol === 'https'));
      void reply.status(303).header('location', withoutToken(request.url)).header('cache-control', 'no-store').send();
      return reply;
    }
    if (SAFE.has(request.method)) return undefined;
    const origin = request.headers.origin;
    if (typeof origin === 'string' && origin !== 'null') {
      let originHost: string;
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = '';
      }
      if (originHost !== host) throw new HttpError(403, 'EORIGIN', `a page from ${origin} may not change this dashboard's campaigns`);
    } else if (origin === 'null') {
      throw new HttpError(403, 'EORIGIN', 'a page of no origin may not change this dashboard\'s campaigns');
    }
    return undefined;
  };
}

/**
 * The preParsing hook that asks for the token: after the rate limit (an
 * onRequest hook of each limited route) has counted the request, so
 * guesses are limited too, and before a body is read.
 */
export function requireToken(token: string | undefined): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (token === undefined || SAFE.has(request.method)) return;
    // A POST that changes nothing (a replay, signing in) is open like a GET.
    if ((request.routeOptions.config as RouteFlags).readOnly === true) return;
    const auth = request.headers.authorization;
    if (typeof auth === 'string') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (m === null || !same(m[1]!, token)) throw new HttpError(401, 'EAUTH', 'wrong token in the Authorization header: send Authorization: Bearer <token>, the token this dashboard was started with');
      return;
    }
    if (request.cookies?.[SESSION_COOKIE] !== undefined) {
      if (signedIn(request, token)) return;
      throw new HttpError(401, 'EAUTH', "this browser's sign-in is for another token (the dashboard was restarted with a new one): type the new token into the page's token field");
    }
    throw new HttpError(401, 'EAUTH', "this dashboard needs its token to change anything: type it into the page's token field (a program sends the header Authorization: Bearer <token>)");
  };
}
