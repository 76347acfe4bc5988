/**
 * Who may change things. Bound to loopback (the default), only this machine
 * reaches the dashboard; bound elsewhere, every request that changes
 * anything must carry the token (`Authorization: Bearer <token>`, or
 * `?token=` for a link). Reading stays open: the numbers are not secret, and
 * a farm's screen on a wall should need no login.
 *
 * Two browser attacks reach even a loopback server, and both are refused
 * here: another site's page posting to it (a POST's Origin must be the
 * dashboard's own), and DNS rebinding (on loopback, the Host header must
 * name loopback).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteFlags } from './context.js';
import { HttpError } from './errors.js';

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
function sameToken(given: string, token: string): boolean {
  return timingSafeEqual(digest(given), digest(token));
}

function tokenOf(request: FastifyRequest): string | null {
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m === null ? '' : m[1]!;
  }
  const q = request.query as Record<string, unknown> | undefined;
  return typeof q?.token === 'string' ? q.token : null;
}

export interface GuardOptions {
  /** When set, every request that changes anything must carry it. */
  token?: string | undefined;
  /** Served on loopback: refuse a Host header that is not loopback (DNS rebinding). */
  loopbackOnly: boolean;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The onRequest hook that enforces all of the above. */
export function guard(options: GuardOptions): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request) => {
    const host = request.headers.host ?? '';
    if (options.loopbackOnly && !isLoopback(hostName(host))) {
      throw new HttpError(403, 'EHOST', `this dashboard serves loopback only, not host ${JSON.stringify(host)}; bind it elsewhere with --host and a token`);
    }
    if (SAFE.has(request.method)) return;
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
    // A POST that changes nothing (a replay) is open like a GET.
    if (options.token === undefined || (request.routeOptions.config as RouteFlags).readOnly === true) return;
    const given = tokenOf(request);
    if (given === null) throw new HttpError(401, 'EAUTH', 'this dashboard needs its token to change anything: send Authorization: Bearer <token>');
    if (!sameToken(given, options.token)) throw new HttpError(401, 'EAUTH', 'wrong token');
  };
}
