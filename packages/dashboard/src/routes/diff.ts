/**
 * GET /api/diff?a=ID&b=ID: the findings of two campaigns of this store
 * compared, as `pcfarm diff A B` prints them: buckets new in B, gone from B
 * and changed in rate (on the cells both ran), with notes on what else
 * differs; and A's failure buckets re-tested against B's strategy (see
 * RetestCache: bounded, off the main thread, a bucket that cannot be
 * re-tested here saying why).
 */
import { DIFF_LIMITS, diffCampaigns, type CampaignSnapshot } from '@pcfarm/farm/local';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { HttpError } from '../errors.js';
import { perMinute, RATE_LIMITS } from '../rate-limits.js';
import { diffQuery, diffSchema, errorResponses } from '../schemas.js';
import { publicStrategyFile } from '../strategy-files.js';

/** A campaign as the diff names it: its strategy files by name. */
function brief(s: CampaignSnapshot) {
  const c = s.campaign;
  return { id: c.id, name: c.spec.name, state: c.state, createdAt: c.createdAt, modelVersion: c.modelVersion, strategies: [...c.spec.strategies], strategyFiles: c.spec.strategyFiles.map(publicStrategyFile) };
}

export default async function diffRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  app.get<{ Querystring: { a: string; b: string } }>(
    '/api/diff',
    { config: perMinute(RATE_LIMITS.diffsPerMinute), schema: { querystring: diffQuery, response: { 200: diffSchema, ...errorResponses } } },
    async (request, reply) => {
      const { a, b } = request.query;
      if (a === b) throw new HttpError(400, 'ESAMECAMPAIGN', `a and b are both campaign ${a}: compare two campaigns (a the earlier, b the later)`);
      const [sa, sb] = await Promise.all([ctx.store.snapshot(a), ctx.store.snapshot(b)]);
      const diff = diffCampaigns(sa, sb);
      // A client gone before its answer no longer waits for its re-tests (see the matrix route).
      const gone = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      const { retests, ms } = await ctx.retests.retest(sa, sb, diff.pairs, gone.signal);
      return {
        ...diff,
        a: brief(sa),
        b: brief(sb),
        retests,
        retestMs: ms,
        limits: { rateZMin: DIFF_LIMITS.rateZMin, rateRatioMin: DIFF_LIMITS.rateRatioMin, retestSeedsMax: DIFF_LIMITS.retestSeedsMax, retestTimeMs: ctx.retests.timeMs },
      };
    },
  );
}
