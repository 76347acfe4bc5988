/**
 * How an error becomes an HTTP answer. Every error body is
 * `{ error: CODE, message }`: the code is stable for programs, the message
 * says what to fix. Whatever the caller sent wrong is a 4xx; a 500 is left
 * for bugs and broken storage, and its message hides nothing a user needs.
 */
import { ConfigError } from '@pcfarm/core';
import { FarmError, redisDown } from '@pcfarm/farm/local';
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
// what the operator must read, so it is kept. A strategy file the request
// names badly is a 400; one a campaign ran but this server lacks (moved,
// deleted, edited since) is a 409: the request is right, the server's files
// are not as the campaign left them, and the message says how to fix that.
const FARM_STATUS: Record<string, number> = {
  EBADCAMPAIGN: 400,
  EBADJOB: 400,
  ENOCAMPAIGN: 404,
  ESTATE: 409,
  EMODELVERSION: 409,
  ELOCKED: 409,
  EREDIS: 503,
  EBADRESULTS: 500,
  ESTRATEGYFILE: 400,
  ENOSTRATEGYFILE: 409,
};

/**
 * A farm error's message for a client: the farm names files by their full
 * path, which is the operator's business (it is in the server's log), not
 * something to show whoever reaches the page.
 */
function withoutPaths(message: string): string {
  return message.replace(/(?:\/[^\s/:'"`]+)+\/([^\s/:'"`]+)/g, '$1');
}

/** The status and body for an error a route threw. */
export function errorAnswer(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof HttpError) return { status: e.status, body: { error: e.code, message: e.message } };
  if (e instanceof FarmError) return { status: FARM_STATUS[e.code] ?? 500, body: { error: e.code, message: withoutPaths(e.message) } };
  // The core's config errors (EBADREPRO, EMODELVERSION, EUNKNOWNSTRATEGY, …) are always about what it was given.
  if (e instanceof ConfigError) return { status: 400, body: { error: e.code, message: e.message } };
  const f = e as Partial<FastifyError> | null;
  if (f !== null && typeof f === 'object') {
    // Schema validation: say which field and what to do about it.
    if (Array.isArray(f.validation)) return { status: 400, body: { error: 'EBADREQUEST', message: validationMessage(f) } };
    // Fastify's own 4xx: a body that is not JSON, too large, an unsupported content type.
    if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
      return { status: f.statusCode, body: { error: FASTIFY_CODES[f.code ?? ''] ?? 'EBADREQUEST', message: fastifyMessage(f) } };
    }
  }
  // Redis away (a dashboard's connection fails its commands rather than hold them): the store's, not the server's, and passing.
  if (redisDown(e)) return { status: 503, body: { error: 'EREDISDOWN', message: "the farm's Redis is not answering; the dashboard reconnects by itself, so try again in a moment" } };
  return { status: 500, body: { error: 'EINTERNAL', message: 'internal error; the server log has the details' } };
}

/** Fastify's codes for a request it could not take, as this API's own stable codes. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'EBADJSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EBADJSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'ETOOLARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'EMEDIATYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'EBADREQUEST',
};

/** Fastify's messages for a body it could not take, said as what to do. */
function fastifyMessage(f: Partial<FastifyError>): string {
  const m = f.message ?? 'bad request';
  if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return `the body is larger than the ${BODY_LIMIT_BYTES / 1024} KiB this server takes: a campaign spec or a reproducer is a few kilobytes`;
  if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return `${m}: send JSON, with content-type: application/json`;
  return m;
}

/** Body size limit: a campaign spec or a reproducer is a few kilobytes at most. */
export const BODY_LIMIT_BYTES = 256 * 1024;

/**
 * A JSON body, or an EBADJSON saying what is wrong with it. Fastify's own
 * parser calls a `__proto__` key "not valid JSON", which sends a person
 * looking for a syntax error that is not there; this one says which key it
 * refuses, and why (merged into an object it would change every object).
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new HttpError(400, 'EBADJSON', 'the body is empty but its content type says JSON: send a JSON object, or no content type');
  try {
    return JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__' || (key === 'constructor' && value !== null && typeof value === 'object' && 'prototype' in value)) {
        throw new HttpError(400, 'EBADJSON', `the body has a ${JSON.stringify(key)} key, which this server refuses (it could change every object of the server): remove it`);
      }
      return value;
    });
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, 'EBADJSON', `the body is not valid JSON (${(e as Error).message}): send a JSON object`);
  }
}

interface AjvError {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: { additionalProperty?: string; allowedValues?: unknown[]; limit?: number; missingProperty?: string; type?: string };
}

/** JSON types as a message says them. */
export const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
  array: 'a list',
  object: 'an object',
};

/** What a list field holds, for "choose at least one …". */
const ITEM_NAMES: Record<string, string> = { strategies: 'strategy', scenarios: 'scenario', blocksPerPage: 'number of blocks per page' };

/**
 * Fastify's message says where and what ("body/strategies must NOT have
 * fewer than 1 items"); say it as what to do, keeping where, so a person
 * reading the form and a program reading the field both know.
 */
function validationMessage(f: Partial<FastifyError>): string {
  const first = (f.validation as AjvError[])[0];
  if (first === undefined) return f.message ?? 'invalid request';
  const where = `${f.validationContext ?? 'request'}${first.instancePath ?? ''}`;
  const field = (first.instancePath ?? '').split('/').filter((x) => x !== '' && !/^\d+$/.test(x)).pop() ?? '';
  const p = first.params ?? {};
  switch (first.keyword) {
    case 'additionalProperties':
      return `${where} has an unknown field ${JSON.stringify(p.additionalProperty)}: remove it, or check its spelling`;
    case 'minItems':
      if (p.limit === 1) return `${where} is empty: choose at least one ${ITEM_NAMES[field] ?? 'value'}`;
      break;
    case 'uniqueItems':
      return `${where} lists a value twice: list each once`;
    case 'enum':
      return `${where} must be one of ${(p.allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `${where} needs the field ${JSON.stringify(p.missingProperty)}`;
    // In words, as the CLI and the digits-only check say a number's range ("must be <= 1000" was the validator's).
    case 'maximum':
      return `${where} must be at most ${p.limit}`;
    case 'minimum':
      return `${where} must be at least ${p.limit}`;
    case 'type':
      return `${where} must be ${String(p.type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ')}`;
  }
  return `${where} ${first.message ?? 'is invalid'}`;
}

/** Fastify's error handler: log what is the server's fault, answer the rest plainly. */
export function errorHandler(e: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = errorAnswer(e);
  // A 5xx said on purpose (busy, stopping, a request that went away) is no failure of the server's.
  if (status >= 500 && !(e instanceof HttpError)) request.log.error({ err: e }, 'request failed');
  void reply.status(status).send(body);
}
