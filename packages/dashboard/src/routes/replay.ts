/**
 * Replay of any reproducer on the server, with its trace and timeline: what
 * `pcfarm replay <reproducer>` prints, for the page. It changes nothing, so
 * it needs no token even where changes do.
 *
 * A reproducer of a strategy file runs only with that file (by its source
 * hash), and the page sends no code: it replays when a campaign of this
 * store ran that file and this machine has it, and says what to do otherwise.
 */
import { decodeReproducer, STRATEGIES } from '@pcfarm/core';
import { FarmError } from '@pcfarm/farm/local';
import type { FastifyInstance } from 'fastify';
import type { RouteContext, RouteFlags } from '../context.js';
import { REPLAY_LIMITS, replayReproducer, type FileStrategy } from '../replay.js';
import { fileStrategyFor } from '../strategy-files.js';
import { perMinute, RATE_LIMITS } from '../rate-limits.js';
import { errorResponses, noQuery, replaySchema, strictBody } from '../schemas.js';

const CLI = 'pcfarm replay REPRODUCER --strategy-file FILE';

export default async function replayRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  /** The strategy file a reproducer runs, found through the campaign that ran it; null for a built-in strategy. */
  async function fileOf(text: string): Promise<FileStrategy | null> {
    // Any strategy, to read which one (a malformed string is the core's 400 here).
    const r = decodeReproducer(text, null);
    const id = r.config.strategy;
    if (STRATEGIES.includes(id)) return null;
    for (const c of await ctx.store.listCampaigns()) {
      const ref = c.spec.strategyFiles.find((x) => x.id === id && (r.strategyHash === undefined || x.sourceHash === r.strategyHash));
      if (ref !== undefined) return fileStrategyFor(c, id, ctx.strategies, CLI);
    }
    throw new FarmError(
      'ENOSTRATEGYFILE',
      `this reproducer runs strategy file ${id}${r.strategyHash === undefined ? '' : ` (source ${r.strategyHash})`}, which no campaign of this dashboard ran, and the page takes no code: run ${CLI} where the file is`,
    );
  }

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
    async (request) => replayReproducer(request.body.reproducer, 'reproducer', null, await fileOf(request.body.reproducer)),
  );
}
