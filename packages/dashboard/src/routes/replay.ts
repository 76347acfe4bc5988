/**
 * Replay of any reproducer on the server, with its trace and timeline: what
 * `pcfarm replay <reproducer>` prints, for the page. It changes nothing, so
 * it needs no token even where changes do.
 */
import type { FastifyInstance } from 'fastify';
import type { RouteContext, RouteFlags } from '../context.js';
import { REPLAY_LIMITS, replayReproducer } from '../replay.js';
import { perMinute, RATE_LIMITS } from '../rate-limits.js';
import { errorResponses, noQuery, replaySchema, strictBody } from '../schemas.js';

export default async function replayRoutes(app: FastifyInstance, _ctx: RouteContext): Promise<void> {
  const config = { readOnly: true, ...perMinute(RATE_LIMITS.replaysPerMinute) } satisfies RouteFlags;
  const body = {
    type: 'object',
    required: ['reproducer'],
    additionalProperties: false,
    properties: { reproducer: { type: 'string', minLength: 1, maxLength: REPLAY_LIMITS.reproducerLengthMax } },
  } as const;
  app.post<{ Body: { reproducer: string } }>(
    '/api/replay',
    {
      config,
      preValidation: strictBody(body),
      schema: {
        querystring: noQuery,
        body,
        response: { 200: replaySchema, ...errorResponses },
      },
    },
    // A string that is not a reproducer is the core's ConfigError: a 400 saying what is wrong with it.
    async (request) => replayReproducer(request.body.reproducer),
  );
}
