/**
 * Signing a browser in: the token typed into the page is exchanged for an
 * HttpOnly, SameSite=Strict cookie (see auth.ts), so the page never keeps
 * the token where its scripts, its address or its history could leak it.
 */
import type { FastifyInstance } from 'fastify';
import { sessionCookie, signedIn, tokenMatches } from '../auth.js';
import type { RouteContext, RouteFlags } from '../context.js';
import { HttpError } from '../errors.js';
import { perMinute, RATE_LIMITS } from '../rate-limits.js';
import { errorResponses, noQuery, strictBody } from '../schemas.js';

const sessionSchema = { type: 'object', properties: { tokenRequired: { type: 'boolean' }, signedIn: { type: 'boolean' } } } as const;

export default async function sessionRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  // Open like a GET: the token is what it checks, and a wrong one changes nothing.
  const config = { readOnly: true, ...perMinute(RATE_LIMITS.changesPerMinute) } satisfies RouteFlags;
  const body = { type: 'object', required: ['token'], additionalProperties: false, properties: { token: { type: 'string', minLength: 1, maxLength: 1000 } } } as const;

  app.get('/api/session', { schema: { querystring: noQuery, response: { 200: sessionSchema, ...errorResponses } } }, async (request) => ({
    tokenRequired: ctx.tokenRequired,
    signedIn: ctx.tokenRequired && signedIn(request, ctx.token),
  }));

  app.post<{ Body: { token: string } }>(
    '/api/session',
    { config, preValidation: strictBody(body), schema: { querystring: noQuery, body, response: { 200: sessionSchema, ...errorResponses } } },
    async (request, reply) => {
      if (ctx.token === undefined) throw new HttpError(409, 'ENOTOKEN', 'this dashboard needs no token: it serves loopback only, where anyone on this machine may change campaigns');
      if (!tokenMatches(request.body.token.trim(), ctx.token)) throw new HttpError(401, 'EAUTH', 'that is not this dashboard\'s token: check it (it is the PCFARM_TOKEN or token file the dashboard was started with) and type it again');
      void reply.header('set-cookie', sessionCookie(ctx.token, request.protocol === 'https'));
      return { tokenRequired: true, signedIn: true };
    },
  );

  app.delete('/api/session', { config, schema: { querystring: noQuery, response: { 200: sessionSchema, ...errorResponses } } }, async (request, reply) => {
    void reply.header('set-cookie', sessionCookie(null, request.protocol === 'https'));
    return { tokenRequired: ctx.tokenRequired, signedIn: false };
  });
}
