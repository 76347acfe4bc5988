/**
 * How an error becomes an HTTP answer. Every error body is
 * `{ error: CODE, message }`: the code is stable for programs, the message
 * says what to fix. Whatever the caller sent wrong is a 4xx; a 500 is left
 * for bugs and broken storage, and its message hides nothing a user needs.
 */
import { ConfigError } from '@pcfarm/core';
import { FarmError } from '@pcfarm/farm';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** An error a route raises on purpose, with the status it means. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
  message: string;
}

// A farm error is about the request (a bad spec, an unknown id, a state that
// forbids it) except for Redis being away (503: try again) and a results
// file that does not parse: that one is the server's, but its message is
// what the operator must read, so it is kept.
const FARM_STATUS: Record<string, number> = {
  EBADCAMPAIGN: 400,
  EBADJOB: 400,
  ENOCAMPAIGN: 404,
  ESTATE: 409,
  EMODELVERSION: 409,
  ELOCKED: 409,
  EREDIS: 503,
  EBADRESULTS: 500,
};

/** The status and body for an error a route threw. */
export function errorAnswer(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof HttpError) return { status: e.status, body: { error: e.code, message: e.message } };
  if (e instanceof FarmError) return { status: FARM_STATUS[e.code] ?? 500, body: { error: e.code, message: e.message } };
  // The core's config errors (EBADREPRO, EMODELVERSION, EUNKNOWNSTRATEGY, …) are always about what it was given.
  if (e instanceof ConfigError) return { status: 400, body: { error: e.code, message: e.message } };
  const f = e as Partial<FastifyError> | null;
  if (f !== null && typeof f === 'object') {
    // Schema validation: Fastify's message names the field ("body/seedsPerCell must be >= 1").
    if (Array.isArray(f.validation)) return { status: 400, body: { error: 'EBADREQUEST', message: validationMessage(f) } };
    // Fastify's own 4xx: a body that is not JSON, too large, an unsupported content type.
    if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
      return { status: f.statusCode, body: { error: typeof f.code === 'string' ? f.code : 'EBADREQUEST', message: f.message ?? 'bad request' } };
    }
  }
  return { status: 500, body: { error: 'EINTERNAL', message: 'internal error; the server log has the details' } };
}

interface AjvError {
  instancePath?: string;
  message?: string;
  params?: { additionalProperty?: string; allowedValues?: unknown[] };
}

/**
 * Fastify's message says where and what ("body must NOT have additional
 * properties"); add which property or which values, so the fix is obvious.
 */
function validationMessage(f: Partial<FastifyError>): string {
  const first = (f.validation as AjvError[])[0];
  if (first === undefined) return f.message ?? 'invalid request';
  const where = `${f.validationContext ?? 'request'}${first.instancePath ?? ''}`;
  let text = `${where} ${first.message ?? 'is invalid'}`;
  if (first.params?.additionalProperty !== undefined) text += `: ${JSON.stringify(first.params.additionalProperty)}`;
  if (Array.isArray(first.params?.allowedValues)) text += `: ${first.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return text;
}

/** Fastify's error handler: log what is the server's fault, answer the rest plainly. */
export function errorHandler(e: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorAnswer(e);
  if (status >= 500) request.log.error({ err: e }, 'request failed');
  void reply.status(status).send(body);
}
