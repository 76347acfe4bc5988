/**
 * A campaign's buckets: the list (filtered and sorted, failures before
 * warnings), one bucket with its examples and minimized reproducer (or, for
 * a warning, its witness), and its replayed trace.
 */
import { basename } from 'node:path';
import { MODEL_VERSION, type RunConfig, type Severity } from '@pcfarm/core';
import { batchConfig, FarmError, type Bucket, type Campaign, type Example } from '@pcfarm/farm/local';
import { exampleReplayCommand, replayReproducerCommand, witnessCommand } from '@pcfarm/farm/replay-commands';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { HttpError } from '../errors.js';
import { perMinute, RATE_LIMITS } from '../rate-limits.js';
import { replayReproducer, replaySeed } from '../replay.js';
import { BUCKET_SORTS, bucketListQuery, bucketParams, bucketSchema, campaignParams, errorResponses, noQuery, replaySchema, strategyFileSchema } from '../schemas.js';
import { fileStrategyFor, publicStrategyFile, strategyFileOf } from '../strategy-files.js';

export interface BucketQuery {
  severity?: Severity;
  kind?: string;
  strategy?: string;
  scenario?: string;
  minimized?: boolean;
  q?: string;
  sort: (typeof BUCKET_SORTS)[number];
  order?: 'asc' | 'desc';
  limit: number;
  offset: number;
}

/**
 * Filter and sort buckets as the table asks: failures first, warnings after
 * them, each sorted by the key asked for. Times and counts sort largest
 * first unless asked otherwise, text A to Z.
 */
export function selectBuckets(all: readonly Bucket[], q: BucketQuery): { total: number; buckets: Bucket[] } {
  const needle = q.q?.toLowerCase();
  const kept = all.filter(
    (b) =>
      (q.severity === undefined || b.severity === q.severity) &&
      (q.kind === undefined || b.kind === q.kind) &&
      (q.strategy === undefined || b.strategy === q.strategy) &&
      (q.scenario === undefined || b.scenarios.includes(q.scenario)) &&
      (q.minimized === undefined || (b.minimized !== null) === q.minimized) &&
      (needle === undefined || b.title.toLowerCase().includes(needle)),
  );
  const key = q.sort;
  const numeric = key === 'count' || key === 'firstSeenAt' || key === 'lastSeenAt';
  const dir = (q.order ?? (numeric ? 'desc' : 'asc')) === 'asc' ? 1 : -1;
  const rank = (b: Bucket): number => (b.severity === 'failure' ? 0 : 1);
  kept.sort((a, b) => {
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    const x = a[key];
    const y = b[key];
    const c = x < y ? -1 : x > y ? 1 : 0;
    // Ties by title, so a page of the list is stable between requests.
    return c * dir || (a.title < b.title ? -1 : a.title > b.title ? 1 : 0);
  });
  return { total: kept.length, buckets: kept.slice(q.offset, q.offset + q.limit) };
}

/** The run config of a bucket's example: the bucket's strategy in the example's scenario and blocks per page, as the campaign ran it. */
export function exampleConfig(c: Campaign, b: Bucket, e: Pick<Example, 'scenario' | 'blocksPerPage'>): RunConfig {
  return batchConfig({ strategy: b.strategy, scenario: e.scenario, blocksPerPage: e.blocksPerPage, scheduler: c.spec.scheduler, pctDepth: c.spec.pctDepth });
}

/** The name of the file a bucket's strategy was loaded from (what a command names: the path is the server's), or null for a built-in. */
function fileNameOf(c: Campaign, b: Bucket): string | null {
  const ref = strategyFileOf(c, b.strategy);
  return ref === null ? null : basename(ref.path);
}

/** The command that runs a warning bucket's witness, as its first example's config; null for a failure, or a warning without one. */
export function bucketWitnessCommand(c: Campaign, b: Bucket): string | null {
  const ex = b.examples[0];
  if (b.witness === null || ex === undefined) return null;
  return witnessCommand({ ...exampleConfig(c, b, ex), scenario: b.witness }, fileNameOf(c, b));
}


type BucketParams = { Params: { id: string; bucketId: string } };

export default async function bucketRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { store } = ctx;

  async function find(id: string, bucketId: string): Promise<{ campaign: Campaign; bucket: Bucket }> {
    const campaign = await store.getCampaign(id);
    const bucket = await store.bucket(id, bucketId);
    if (bucket === null) throw new HttpError(404, 'ENOBUCKET', `campaign ${id} has no bucket ${bucketId}`);
    return { campaign, bucket };
  }

  app.get<{ Params: { id: string }; Querystring: BucketQuery }>(
    '/api/campaigns/:id/buckets',
    {
      schema: {
        params: campaignParams,
        querystring: bucketListQuery,
        response: { 200: { type: 'object', properties: { total: { type: 'integer' }, buckets: { type: 'array', items: bucketSchema } } }, ...errorResponses },
      },
    },
    async (request) => selectBuckets(await store.buckets(request.params.id), request.query),
  );

  app.get<BucketParams>(
    '/api/campaigns/:id/buckets/:bucketId',
    {
      schema: {
        params: bucketParams,
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            properties: {
              bucket: bucketSchema,
              campaign: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, scheduler: { type: 'string' }, pctDepth: { type: 'integer' }, modelVersion: { type: 'string' } } },
              /** The file the bucket's strategy was loaded from (by name and source hash), or null for a built-in strategy. */
              strategyFile: { ...strategyFileSchema, type: ['object', 'null'] },
              replayCommand: { type: ['string', 'null'] },
              /** A warning's: the command that runs its witness until it deadlocks. */
              witnessCommand: { type: ['string', 'null'] },
              examples: {
                type: 'array',
                items: { type: 'object', properties: { seed: { type: 'integer' }, scenario: { type: 'string' }, blocksPerPage: { type: 'integer' }, batch: { type: 'integer' }, reproducer: { type: 'string' }, replayCommand: { type: 'string' } } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { campaign, bucket } = await find(request.params.id, request.params.bucketId);
      const ref = strategyFileOf(campaign, bucket.strategy);
      const file = fileNameOf(campaign, bucket);
      return {
        bucket,
        campaign: { id: campaign.id, name: campaign.spec.name, scheduler: campaign.spec.scheduler, pctDepth: campaign.spec.pctDepth, modelVersion: campaign.modelVersion },
        strategyFile: ref === null ? null : publicStrategyFile(ref),
        replayCommand: bucket.minimized === null ? null : replayReproducerCommand(bucket.minimized.reproducer, file),
        witnessCommand: bucketWitnessCommand(campaign, bucket),
        examples: bucket.examples.map((e) => ({ ...e, replayCommand: exampleReplayCommand(exampleConfig(campaign, bucket, e), e, file) })),
      };
    },
  );

  app.get<BucketParams>(
    '/api/campaigns/:id/buckets/:bucketId/trace',
    { config: perMinute(RATE_LIMITS.replaysPerMinute), schema: { params: bucketParams, querystring: noQuery, response: { 200: replaySchema, ...errorResponses } } },
    async (request) => {
      const { campaign, bucket } = await find(request.params.id, request.params.bucketId);
      if (campaign.modelVersion !== MODEL_VERSION) {
        throw new FarmError('EMODELVERSION', `campaign ${campaign.id} was run by model ${campaign.modelVersion}; this dashboard runs ${MODEL_VERSION}, whose runs of its seeds differ`);
      }
      const ex = bucket.examples[0];
      const cli = bucket.minimized !== null ? 'pcfarm replay REPRODUCER --strategy-file FILE' : 'pcfarm replay --strategy-file FILE --seed N';
      // A strategy file's bucket replays only with that very file (by its source hash).
      const file = fileStrategyFor(campaign, bucket.strategy, ctx.strategies, cli);
      // The minimized reproducer when there is one: it is what the timeline is for, short and to the point.
      if (bucket.minimized !== null) return replayReproducer(bucket.minimized.reproducer, 'minimized', bucket.title, file);
      if (ex === undefined) throw new HttpError(409, 'ENOEXAMPLE', `bucket ${bucket.id} has no example seed to replay`);
      // A guided campaign's example is its reproducer: its seed alone gives another run.
      if (ex.reproducer !== undefined) return replayReproducer(ex.reproducer, 'reproducer', bucket.title, file);
      return replaySeed(exampleConfig(campaign, bucket, ex), ex.seed, bucket.title, file);
    },
  );
}
