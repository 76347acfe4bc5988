/**
 * Campaigns: list, create, one, stop, resume, their numbers over time; the
 * workers; and what the page needs to know to draw its form (/api/info).
 */
import { BLOCKS_PER_PAGE, DESCRIPTIONS, FAILURE_KINDS, MODEL_VERSION, SCENARIOS, STRATEGIES } from '@pcfarm/core';
import { CAMPAIGN_DEFAULTS, CAMPAIGN_LIMITS, CAMPAIGN_SCHEDULERS, campaignCertificates, campaignRisk, campaignSpec, canaryChecks, FarmError, searchCells, withPollen, type Campaign, type CampaignRisk, type CellSearch, type CampaignSpec, type CampaignSummary, type CanaryCheck, type Certificate } from '@pcfarm/farm/local';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../context.js';
import { HttpError } from '../errors.js';
import { riskiest, workerViews } from '../live.js';
import { MATRIX_RUNS } from '../matrix.js';
import { perMinute, RATE_LIMITS } from '../rate-limits.js';
import { REPLAY_LIMITS } from '../replay.js';
import { sampleViews } from '../samples.js';
import { BUCKET_PAGE, campaignParams, campaignViewSchema, createCampaignBody, errorResponses, noQuery, noStrategyFiles, sampleSchema, strictBody, workerSchema } from '../schemas.js';
import { publicSpec } from '../strategy-files.js';

/** A campaign as the API shows it: its summary (its strategy files by name, not path) and what this process does with it. */
export type CampaignView = Omit<CampaignSummary, 'campaign'> & {
  campaign: Omit<CampaignSummary['campaign'], 'spec'> & { spec: ReturnType<typeof publicSpec> };
  activity: string | null;
  canaries?: CanaryCheck[];
  risk?: CampaignRisk | null;
  search?: CellSearch[];
  verified?: Verified;
};

/** How many of a campaign's cells verify has certified to some bound, and found failing (of its model version and strategy sources). */
interface Verified {
  cells: number;
  certified: number;
  failing: number;
}

function verifiedOf(campaign: Campaign, certificates: readonly Certificate[]): Verified {
  const byCell = campaignCertificates(campaign, certificates);
  return { cells: byCell.length, certified: byCell.filter((l) => l.some((k) => k.result === 'clean')).length, failing: byCell.filter((l) => l.some((k) => k.result === 'fail')).length };
}

type IdParams = { Params: { id: string } };

export default async function campaignRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { store, control } = ctx;
  const writable = (): void => {
    if (ctx.readOnly) throw new HttpError(409, 'EREADONLY', 'this dashboard follows results another process writes: start and stop campaigns there');
  };
  const changes = perMinute(RATE_LIMITS.changesPerMinute);
  /**
   * A campaign's view; with its canaries (a known bug it must find) and its
   * residual risk for one campaign's page, not for the list, which would read
   * every campaign's batches.
   */
  const view = async (id: string, whole = false, certificates?: readonly Certificate[]): Promise<CampaignView> => {
    const s = await store.summary(id);
    let more = {};
    if (certificates !== undefined) more = { verified: verifiedOf(s.campaign, certificates) };
    if (whole) {
      const [done, buckets] = [await store.doneBatches(id), await store.buckets(id)];
      more = { ...more, canaries: canaryChecks(s.campaign, done, buckets), risk: riskiest(campaignRisk(s.campaign, s, done, buckets), s.campaign.spec.steer !== null) };
      if (s.campaign.spec.guide !== null) more = { ...more, search: searchCells(s.campaign, await store.corpus(id)) };
    }
    return { ...s, campaign: { ...s.campaign, spec: publicSpec(s.campaign.spec) }, activity: control.activity(id), ...more };
  };

  app.get(
    '/api/info',
    {
      schema: {
        querystring: noQuery,
        response: {
          200: {
            type: 'object',
            properties: {
              store: { type: 'string' },
              control: { type: 'string' },
              modelVersion: { type: 'string' },
              tokenRequired: { type: 'boolean' },
              readOnly: { type: 'boolean' },
              strategies: { type: 'array', items: { type: 'string' } },
              scenarios: { type: 'array', items: { type: 'string' } },
              /** The blocks per page a campaign may run (its default is defaults.blocksPerPage). */
              blocksPerPage: { type: 'array', items: { type: 'integer' } },
              schedulers: { type: 'array', items: { type: 'string' } },
              failureKinds: { type: 'array', items: { type: 'string' } },
              descriptions: { type: 'object', additionalProperties: { type: 'string' } },
              defaults: {
                type: 'object',
                properties: {
                  blocksPerPage: { type: 'array', items: { type: 'integer' } },
                  scheduler: { type: 'string' },
                  pctDepth: { type: 'integer' },
                  seedStart: { type: 'integer' },
                  seedsPerCell: { type: 'integer' },
                  batchSeeds: { type: 'integer' },
                  examplesPerBucket: { type: 'integer' },
                },
              },
              limits: {
                type: 'object',
                properties: { batchSeedsMax: { type: 'integer' }, examplesPerBucketMax: { type: 'integer' }, pctDepthMax: { type: 'integer' }, nameLengthMax: { type: 'integer' }, replayStepsMax: { type: 'integer' }, matrixRunsMax: { type: 'integer' }, matrixRunsDefault: { type: 'integer' }, bucketPageMax: { type: 'integer' } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({
      store: store.kind,
      control: control.kind,
      modelVersion: MODEL_VERSION,
      tokenRequired: ctx.tokenRequired,
      readOnly: ctx.readOnly,
      strategies: STRATEGIES,
      scenarios: SCENARIOS,
      blocksPerPage: BLOCKS_PER_PAGE,
      schedulers: CAMPAIGN_SCHEDULERS,
      failureKinds: FAILURE_KINDS,
      descriptions: DESCRIPTIONS,
      defaults: CAMPAIGN_DEFAULTS,
      limits: { ...CAMPAIGN_LIMITS, replayStepsMax: REPLAY_LIMITS.stepsMax, matrixRunsMax: MATRIX_RUNS.max, matrixRunsDefault: MATRIX_RUNS.default, bucketPageMax: BUCKET_PAGE.max },
    }),
  );

  app.get(
    '/api/campaigns',
    { schema: { querystring: noQuery, response: { 200: { type: 'object', properties: { campaigns: { type: 'array', items: campaignViewSchema } } }, ...errorResponses } } },
    async () => {
      const campaigns = await store.listCampaigns();
      const certificates = await store.certificates();
      const views: CampaignView[] = [];
      for (const c of campaigns) {
        try {
          views.push(await view(c.id, false, certificates));
        } catch (e) {
          // Deleted between the list and its summary (another process): not an error of this request.
          if (!(e instanceof FarmError && e.code === 'ENOCAMPAIGN')) throw e;
        }
      }
      return { campaigns: views };
    },
  );

  app.post<{ Body: Partial<CampaignSpec> }>(
    '/api/campaigns',
    { config: changes, preValidation: [noStrategyFiles, strictBody(createCampaignBody)], schema: { querystring: noQuery, body: createCampaignBody, response: { 201: campaignViewSchema, ...errorResponses } } },
    async (request, reply) => {
      writable();
      // The schema checked the shape; campaignSpec checks the rest and fills in the defaults.
      const spec = campaignSpec(request.body ?? {});
      // A spec posted back as it was read keeps its pollen; one without is given what the store holds now.
      const c = await store.createCampaign(request.body?.guide?.pollen === undefined ? await withPollen(store, spec) : spec);
      await control.start(c.id);
      return reply.status(201).send(await view(c.id));
    },
  );

  app.get<IdParams>('/api/campaigns/:id', { schema: { params: campaignParams, querystring: noQuery, response: { 200: campaignViewSchema, ...errorResponses } } }, async (request) => view(request.params.id, true, await store.certificates()));

  app.post<IdParams>('/api/campaigns/:id/stop', { config: changes, schema: { params: campaignParams, querystring: noQuery, response: { 200: campaignViewSchema, ...errorResponses } } }, async (request) => {
    writable();
    const c = await store.getCampaign(request.params.id);
    if (c.state === 'done') throw new FarmError('ESTATE', `campaign ${c.id} is done already`);
    await control.stop(c.id);
    return view(c.id);
  });

  app.post<IdParams>('/api/campaigns/:id/resume', { config: changes, schema: { params: campaignParams, querystring: noQuery, response: { 200: campaignViewSchema, ...errorResponses } } }, async (request) => {
    writable();
    // The control refuses a finished campaign (ESTATE, a 409).
    await control.start(request.params.id);
    return view(request.params.id);
  });

  app.get<IdParams>(
    '/api/campaigns/:id/stats',
    {
      schema: {
        params: campaignParams,
        querystring: noQuery,
        response: {
          200: { type: 'object', properties: { campaign: campaignViewSchema, samples: { type: 'array', items: sampleSchema }, workers: { type: 'array', items: workerSchema } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const id = request.params.id;
      const campaign = await view(id, true);
      return { campaign, samples: sampleViews(await store.samples(id)), workers: workerViews(await store.workers(), ctx.now()) };
    },
  );

  app.get('/api/workers', { schema: { querystring: noQuery, response: { 200: { type: 'object', properties: { workers: { type: 'array', items: workerSchema } } }, ...errorResponses } } }, async () => ({
    workers: workerViews(await store.workers(), ctx.now()),
  }));
}
