/**
 * JSON schemas of the API: request schemas are what Fastify validates
 * (a failure is a 400 naming the field), response schemas are what it
 * serializes with (fields not listed never leave the server). Kept in one
 * file so a route's shape and the UI's expectations are read side by side.
 */
import { BLOCKS_PER_PAGE, FAILURE_KINDS, SCENARIOS, STRATEGIES } from '@pcfarm/core';
import { CAMPAIGN_LIMITS, CAMPAIGN_SCHEDULERS, CERTIFICATE_UNITS, GUIDE_LIMITS, STEER_LIMITS, STRATEGY_ID_PATTERN } from '@pcfarm/farm/local';
import type { FastifyRequest } from 'fastify';
import { HttpError, TYPE_WORDS } from './errors.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const bool = { type: 'boolean' } as const;
const intOrNull = { type: ['integer', 'null'] } as const;
const strOrNull = { type: ['string', 'null'] } as const;
const strings = { type: 'array', items: str } as const;
const ints = { type: 'array', items: int } as const;
/** failure: the finding fails its run; warning: it does not (a class-only lock-order cycle). */
const severity = { type: 'string', enum: ['failure', 'warning'] } as const;
/** Runs (or seeds) by finding kind: a MatrixCell's kinds, warnings, first and firstWarning. */
const byKind = { type: 'object', additionalProperties: false, properties: Object.fromEntries(FAILURE_KINDS.map((k) => [k, int])) } as const;

export const errorSchema = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: str, message: str },
} as const;

/** Every route answers its errors in the one shape. */
export const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

/** Campaign and bucket ids: short, and never anything a path or a key could trip over. */
export const idSchema = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' } as const;

/** A route that takes no query parameters: an unknown one is a typo to report. */
export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;

export const campaignParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: idSchema },
} as const;

export const bucketParams = {
  type: 'object',
  required: ['id', 'bucketId'],
  additionalProperties: false,
  properties: { id: idSchema, bucketId: idSchema },
} as const;

/** A strategy file as a client is shown it: its id, source hash and file name (never its path: that is the server's). */
export const strategyFileSchema = {
  type: 'object',
  properties: { id: str, sourceHash: str, file: str },
} as const;

/** A strategy id, built-in or a file's. */
const strategyId = { type: 'string', pattern: STRATEGY_ID_PATTERN.source } as const;

const specProperties = {
  name: str,
  strategies: strings,
  /** The strategies loaded from files, each by name and source hash. */
  strategyFiles: { type: 'array', items: strategyFileSchema },
  scenarios: strings,
  blocksPerPage: ints,
  scheduler: str,
  pctDepth: int,
  seedStart: int,
  seedsPerCell: intOrNull,
  timeBudgetMs: intOrNull,
  batchSeeds: int,
  examplesPerBucket: int,
  /** How a campaign bounded only by its time budget is steered (farm's STEER_DEFAULTS), or null. */
  steer: { type: ['object', 'null'], properties: { firstBatchesPerCell: int, floorPct: int } },
  /** How a guided campaign shares its states between a cell's batches (farm's GUIDE_DEFAULTS), or null. */
  guide: { type: ['object', 'null'], properties: { epochRounds: int, corpusMax: int, batchStatesMax: int, pollen: { type: 'array', items: str } } },
} as const;

/**
 * A new campaign: a partial CampaignSpec. The schema catches the shape
 * (types, known names, ranges); campaignSpec() then checks what a schema
 * cannot say (a seed range or a time budget, at least one).
 */
export const createCampaignBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: CAMPAIGN_LIMITS.nameLengthMax },
    strategies: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...STRATEGIES] } },
    scenarios: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...SCENARIOS] } },
    blocksPerPage: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'integer', enum: [...BLOCKS_PER_PAGE] } },
    /** Always empty here (a spec read from GET posts back as it is): a campaign of strategy files starts from the CLI (noStrategyFiles). */
    strategyFiles: { type: 'array', maxItems: 0 },
    scheduler: { type: 'string', enum: [...CAMPAIGN_SCHEDULERS] },
    pctDepth: { type: 'integer', minimum: 1, maximum: CAMPAIGN_LIMITS.pctDepthMax },
    seedStart: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    seedsPerCell: { type: ['integer', 'null'], minimum: 1, maximum: CAMPAIGN_LIMITS.seedsPerCellMax },
    timeBudgetMs: { type: ['integer', 'null'], minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    batchSeeds: { type: 'integer', minimum: 1, maximum: CAMPAIGN_LIMITS.batchSeedsMax },
    examplesPerBucket: { type: 'integer', minimum: 1, maximum: CAMPAIGN_LIMITS.examplesPerBucketMax },
    steer: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        firstBatchesPerCell: { type: 'integer', minimum: 1, maximum: STEER_LIMITS.firstBatchesPerCellMax },
        floorPct: { type: 'integer', minimum: 0, maximum: STEER_LIMITS.floorPctMax },
      },
    },
    guide: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        epochRounds: { type: 'integer', minimum: 1, maximum: GUIDE_LIMITS.epochRoundsMax },
        corpusMax: { type: 'integer', minimum: 1, maximum: GUIDE_LIMITS.corpusMaxMax },
        batchStatesMax: { type: 'integer', minimum: 0, maximum: GUIDE_LIMITS.batchStatesMaxMax },
        /** Reproducers the cells replay first (farm's pollen.ts); absent: what the store holds now. */
        pollen: { type: 'array', maxItems: GUIDE_LIMITS.pollenMax, items: { type: 'string', maxLength: 4096 } },
      },
    },
  },
} as const;

export const campaignSchema = {
  type: 'object',
  properties: {
    id: str,
    spec: { type: 'object', properties: specProperties },
    modelVersion: str,
    state: { type: 'string', enum: ['running', 'stopped', 'done'] },
    createdAt: num,
    runningMs: num,
  },
} as const;

/** farm's CanaryCheck: a cell whose bug is known, and whether the campaign found it in time. */
const canariesSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: { strategy: str, scenario: str, blocksPerPage: int, kind: str, runs: num, meanRuns: num, found: bool, alarm: bool, missLog10: num },
  },
} as const;

/** farm's CampaignRisk: Good-Turing's chance that the next run reaches something new, and Chao's extrapolation of the next runs', in all and per cell, riskiest first; null where the store does not count singletons. */
const riskSchema = {
  type: ['object', 'null'],
  properties: {
    runs: num,
    singletons: int,
    risk: { type: ['number', 'null'] },
    doubletons: { type: ['integer', 'null'] },
    aheadThings: { type: ['number', 'null'] },
    cells: {
      type: 'array',
      items: {
        type: 'object',
        properties: { strategy: str, scenario: str, blocksPerPage: int, runs: num, singletons: int, risk: { type: ['number', 'null'] }, doubletons: { type: ['integer', 'null'] }, ahead: { type: ['number', 'null'] }, pctRuns95: { type: ['number', 'null'] } },
      },
    },
  },
} as const;

/** farm's Certificate, its strategy file by name: what `pcfarm verify` proved (clean to a bound) or found (a failure at a bound) of a cell. */
const certificateSchema = {
  type: 'object',
  properties: {
    result: { type: 'string', enum: ['clean', 'fail'] },
    strategy: str,
    strategyFile: { type: ['object', 'null'], properties: { id: str, sourceHash: str, file: str } },
    scenario: str,
    blocksPerPage: int,
    modelVersion: str,
    unit: { type: 'string', enum: [...CERTIFICATE_UNITS] },
    bound: int,
    reclaimActionsMax: int,
    paramsMax: int,
    schedules: num,
    classes: { type: ['integer', 'null'] },
    hash: strOrNull,
    signature: strOrNull,
    reproducer: strOrNull,
    seconds: num,
    at: num,
  },
} as const;

/** Every certificate a store keeps (GET /api/certificates). */
export const certificatesSchema = { type: 'object', properties: { certificates: { type: 'array', items: certificateSchema } } } as const;

/** Each cell of a campaign: its runs, its failure buckets, the certificates of its model version, and all of it in words (farm's CellEvidence). */
export const cellsSchema = {
  type: 'object',
  properties: {
    modelVersion: str,
    cells: {
      type: 'array',
      items: {
        type: 'object',
        properties: { strategy: str, scenario: str, blocksPerPage: int, runs: num, failureBuckets: int, certificates: { type: 'array', items: certificateSchema }, text: str },
      },
    },
  },
} as const;

/** A campaign with its totals, and what this dashboard's process does with it. */
export const campaignViewSchema = {
  type: 'object',
  properties: {
    campaign: campaignSchema,
    runs: num,
    steps: num,
    /** Runs that failed, and runs that warned. */
    failures: num,
    warnings: num,
    batchesDone: int,
    batchesTotal: intOrNull,
    seedsTotal: { type: ['number', 'null'] },
    coverage: int,
    /** Failure buckets, and warning buckets apart. */
    buckets: int,
    warningBuckets: int,
    minimized: int,
    /** `running`/`queued`/`idle` when this process runs campaigns (embedded); null when a coordinator elsewhere does. */
    activity: strOrNull,
    /** One campaign's page only: its canaries, a known bug each, which it must find. */
    canaries: canariesSchema,
    /** One campaign's page only: what it has likely left to find. */
    risk: riskSchema,
    /** The list and one campaign's page: how many of its cells verify certified to some bound, and found failing. */
    verified: { type: 'object', properties: { cells: int, certified: int, failing: int } },
    /** One guided or portfolio campaign's page only: what each cell's search has learnt (farm's CellSearch). */
    search: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          strategy: str,
          scenario: str,
          blocksPerPage: int,
          states: int,
          arms: { type: 'array', items: { type: 'object', properties: { arm: str, runs: int, states: int } } },
        },
      },
    },
  },
} as const;

export const workerSchema = {
  type: 'object',
  properties: {
    id: str,
    host: str,
    pid: int,
    concurrency: int,
    runs: num,
    runsPerSec: num,
    seenAt: num,
    ageMs: num,
    /** ok: reported lately; late: quiet for a while but not yet given up on. */
    health: { type: 'string', enum: ['ok', 'late'] },
  },
} as const;

export const sampleSchema = {
  type: 'object',
  properties: { at: num, runningMs: num, runs: num, failures: num, coverage: int, buckets: int, runsPerSec: num },
} as const;

const minimizedSchema = {
  type: ['object', 'null'],
  properties: { reproducer: str, seed: int, scenario: str, blocksPerPage: int, choices: int, switches: int, steps: int, runs: int, stoppedBy: str, at: num },
} as const;

export const bucketSchema = {
  type: 'object',
  properties: {
    id: str,
    title: str,
    kind: str,
    severity,
    strategy: str,
    sites: strings,
    scenarios: strings,
    blocksPerPage: ints,
    count: num,
    examples: { type: 'array', items: { type: 'object', properties: { seed: int, scenario: str, blocksPerPage: int, batch: int } } },
    firstSeenAt: num,
    lastSeenAt: num,
    minimized: minimizedSchema,
    /** A warning's witness scenario, or null. */
    witness: strOrNull,
  },
} as const;

/** Bucket sort keys (within each severity: failures always come first). */
export const BUCKET_SORTS = ['count', 'firstSeenAt', 'lastSeenAt', 'title', 'kind', 'strategy'] as const;

/** The most buckets one answer of GET /api/campaigns/:id/buckets holds, and how many it holds unless asked. */
export const BUCKET_PAGE = { max: 1000, default: 200 } as const;

export const bucketListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    severity,
    kind: { type: 'string', enum: [...FAILURE_KINDS] },
    /** A built-in strategy's id or a strategy file's. */
    strategy: strategyId,
    scenario: { type: 'string', enum: [...SCENARIOS] },
    minimized: bool,
    /** A piece of the signature, any case. */
    q: { type: 'string', maxLength: 200 },
    sort: { type: 'string', enum: [...BUCKET_SORTS], default: 'count' },
    order: { type: 'string', enum: ['asc', 'desc'] },
    limit: { type: 'integer', minimum: 1, maximum: BUCKET_PAGE.max, default: BUCKET_PAGE.default },
    offset: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
  },
} as const;

const findingProperties = { kind: str, severity, message: str, task: str, site: str, step: int, details: strings, sites: strings, witness: strOrNull } as const;
const failureSchema = { type: ['object', 'null'], properties: findingProperties } as const;
/** A replayed run's warning, with its signature and the command that runs its witness. */
const warningSchema = { type: 'object', properties: { ...findingProperties, signature: str, witnessCommand: strOrNull } } as const;

/** A replayed run, its trace and the timeline drawn from it. */
export const replaySchema = {
  type: 'object',
  properties: {
    /** reproducer: as given; minimized: a bucket's minimized reproducer; example: a bucket's first example seed. */
    source: { type: 'string', enum: ['reproducer', 'minimized', 'example'] },
    strategy: str,
    scenario: str,
    scheduler: str,
    blocksPerPage: int,
    seed: intOrNull,
    modelVersion: str,
    ok: bool,
    steps: int,
    switches: int,
    choices: int,
    traceHash: strOrNull,
    failure: failureSchema,
    signature: strOrNull,
    warnings: { type: 'array', items: warningSchema },
    /** For a bucket's replay: whether the run still has the bucket's finding (its failure, or one of its warnings). */
    matchesBucket: { type: ['boolean', 'null'] },
    /** The reproducer of this run (null when it passed) and the command that replays it. */
    reproducer: strOrNull,
    replayCommand: strOrNull,
    tasks: strings,
    eventsTotal: int,
    /** The index of the first event sent: a long trace is cut to its last events, where the failure is. */
    eventsFrom: int,
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          i: int,
          step: int,
          task: str,
          site: str,
          what: str,
          locks: strings,
          kind: { type: 'string', enum: ['acquire', 'release', 'wait', 'event'] },
        },
      },
    },
    holds: {
      type: 'array',
      items: { type: 'object', properties: { task: str, lock: str, from: int, to: int, open: bool } },
    },
    failureEvent: intOrNull,
  },
} as const;

/** core's MatrixCell, field for field. */
export const matrixCellSchema = {
  type: 'object',
  properties: {
    strategy: str,
    scenario: str,
    blocksPerPage: int,
    runs: int,
    verdict: { type: 'string', enum: ['clean', ...FAILURE_KINDS] },
    kinds: byKind,
    warnings: byKind,
    first: byKind,
    firstWarning: byKind,
    message: strOrNull,
    witness: strOrNull,
    /** core's CellBound, with ?verify only. */
    bound: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['fails', 'certified', 'none'] },
        preemptions: intOrNull,
        delays: intOrNull,
        reclaimActions: int,
        params: intOrNull,
        asked: int,
        failure: { type: ['string', 'null'], enum: [null, ...FAILURE_KINDS] },
        schedules: int,
        classes: intOrNull,
        hash: strOrNull,
        seconds: { type: ['number', 'null'] },
      },
    },
  },
} as const;

export const matrixSchema = {
  type: 'object',
  properties: {
    runs: int,
    verify: bool,
    verifyLimits: { type: ['object', 'null'], properties: { boundMax: int, reclaimActionsMax: int, cellMs: int, cellSchedulesMax: int } },
    computedAt: num,
    computeMs: num,
    strategies: strings,
    scenarios: strings,
    paramScenarios: strings,
    blocksPerPage: ints,
    /** FAILURE_KINDS, most severe first: the order verdicts are chosen by. */
    severityOrder: strings,
    cells: { type: 'array', items: matrixCellSchema },
    /** What pcfarm verify kept in this store of the matrix's cells (this model version, built-in strategies). */
    kept: { type: 'array', items: certificateSchema },
    costs: {
      type: 'array',
      items: {
        type: 'object',
        properties: { strategy: str, case: str, pageTableWalks: num, mmapSemAcquisitions: num, pageLockRoundTrips: num, kmaps: num, cellsCopied: num },
      },
    },
  },
} as const;

/** One side of a bucket matched across two campaigns; null on the side it is not found in. */
const diffSideSchema = {
  type: ['object', 'null'],
  properties: { bucketId: str, title: str, strategy: str, count: num, runs: num, rate: num },
} as const;

/** A campaign as a diff names it. */
const diffCampaignSchema = {
  type: 'object',
  properties: { id: str, name: str, state: str, createdAt: num, modelVersion: str, strategies: strings, strategyFiles: { type: 'array', items: strategyFileSchema } },
} as const;

export const diffQuery = {
  type: 'object',
  required: ['a', 'b'],
  additionalProperties: false,
  properties: { a: idSchema, b: idSchema },
} as const;

/** GET /api/diff: the findings of two campaigns compared, and A's failure buckets re-tested against B. */
export const diffSchema = {
  type: 'object',
  properties: {
    a: diffCampaignSchema,
    b: diffCampaignSchema,
    /** [strategy of A, its counterpart in B]. */
    pairs: { type: 'array', items: strings },
    /** What differs between the specs besides the strategies, for a reader to weigh. */
    notes: strings,
    buckets: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kind: str, severity, sites: strings, change: { type: 'string', enum: ['new', 'gone', 'more', 'fewer', 'same'] }, a: diffSideSchema, b: diffSideSchema },
      },
    },
    retests: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          bucketId: str,
          title: str,
          against: str,
          verdict: { type: 'string', enum: ['fixed', 'still-failing', 'not-run'] },
          by: strOrNull,
          runs: int,
          outcomes: { type: 'object', additionalProperties: int },
          reason: strOrNull,
        },
      },
    },
    /** Milliseconds the re-tests took (0 when none ran here). */
    retestMs: num,
    /** What a changed rate means, and what a re-test runs. */
    limits: { type: 'object', properties: { rateZMin: num, rateRatioMin: num, retestSeedsMax: int, retestTimeMs: int } },
  },
} as const;

/** Server-sent events, each serialized with its schema. */
export const statsEventSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['stats'] },
    campaign: str,
    state: str,
    activity: strOrNull,
    runs: num,
    /** Null until the campaign has run anything: no rate yet. */
    runsPerSec: { type: ['number', 'null'] },
    failures: num,
    warnings: num,
    coverage: int,
    buckets: int,
    warningBuckets: int,
    minimized: int,
    batchesDone: int,
    batchesTotal: intOrNull,
    runningMs: num,
    at: num,
    /** The totals now as a sample: the point the page's charts end with. */
    sample: { type: ['object', 'null'], properties: { at: num, runningMs: num, runs: num, failures: num, coverage: int, buckets: int } },
    canaries: canariesSchema,
    risk: riskSchema,
  },
} as const;

export const bucketEventSchema = {
  type: 'object',
  properties: { type: { type: 'string', enum: ['bucket'] }, campaign: str, bucket: bucketSchema },
} as const;

export const bucketUpdateEventSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['bucket-update'] },
    campaign: str,
    bucket: { type: 'object', properties: { id: str, count: num, lastSeenAt: num, scenarios: strings, blocksPerPage: ints, minimized: minimizedSchema, witness: strOrNull } },
  },
} as const;

/** A campaign deleted while a page followed it (live.ts DeletedEvent). */
export const deletedEventSchema = {
  type: 'object',
  properties: { type: { type: 'string', enum: ['deleted'] }, campaign: str },
} as const;

export const workersEventSchema = {
  type: 'object',
  properties: { type: { type: 'string', enum: ['workers'] }, at: num, workers: { type: 'array', items: workerSchema } },
} as const;

/**
 * A preValidation hook refusing a new campaign of strategy files: a strategy
 * file is code, and the page sends none, nor a path for the server to load
 * and run. Before the schema, so the refusal says this, not "maxItems".
 */
export async function noStrategyFiles(request: { body: unknown }): Promise<void> {
  const files = (request.body as { strategyFiles?: unknown } | null)?.strategyFiles;
  if (files === undefined || (Array.isArray(files) && files.length === 0)) return;
  throw new HttpError(
    400,
    'ESTRATEGYFILE',
    'body/strategyFiles: a campaign of strategy files starts from the command line, where the files are (pcfarm campaign start --strategy-file FILE); the dashboard takes no code, nor a path of its server to run',
  );
}

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'null' | 'array' | 'object';


function isType(t: JsonType, v: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
  }
}

/**
 * A preValidation hook that holds a JSON body's fields to their exact types.
 * Fastify's validator coerces types (what a query string needs: "5" is 5),
 * and would take `{"name": 7}` as "7" or `{"strategies": "v2.6.20"}` as a
 * list of one; in a JSON body that is a mistake to report. Only the fields
 * of a flat object schema are checked; the validator does the rest.
 */
export function strictBody(schema: { properties: Record<string, { type: JsonType | readonly JsonType[] }> }): (request: { body: unknown }) => Promise<void> {
  return async (request) => {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
    for (const [field, value] of Object.entries(body)) {
      const spec = schema.properties[field];
      if (spec === undefined) continue;
      const types = typeof spec.type === 'string' ? [spec.type] : spec.type;
      if (!types.some((t) => isType(t as JsonType, value))) throw new HttpError(400, 'EBADREQUEST', `body/${field} must be ${types.map((t) => TYPE_WORDS[t as JsonType]).join(' or ')}, not ${JSON.stringify(value)}`);
    }
  };
}

/** What a query parameter that is a whole number (or a list of them) may be. */
interface WholeNumberSchema {
  type?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: readonly unknown[];
  items?: WholeNumberSchema;
}

/** The whole numbers a schema allows, for a message. */
function wholeNumberWords(n: WholeNumberSchema): string {
  if (n.enum !== undefined) return `one of ${n.enum.join(', ')}`;
  const min = n.minimum ?? 0;
  return n.maximum === undefined || n.maximum >= Number.MAX_SAFE_INTEGER ? `a whole number of ${min} or more` : `a whole number from ${min} to ${n.maximum}`;
}

/**
 * A preValidation hook for every route: a whole number in a query string is
 * written in digits alone, as the CLI takes one (wholeNumber in the cli's
 * args.ts). Fastify's validator coerces whatever Number() reads, so
 * ?limit=1e3, 0x10, " 5" or 5.0 would pass as numbers; its range check
 * (the schema's minimum and maximum, the one definition) still follows.
 */
export async function plainQueryNumbers(request: FastifyRequest): Promise<void> {
  const properties = (request.routeOptions.schema?.querystring as { properties?: Record<string, WholeNumberSchema> } | undefined)?.properties;
  if (properties === undefined || request.query === null || typeof request.query !== 'object') return;
  for (const [field, raw] of Object.entries(request.query)) {
    const spec = properties[field];
    const whole = spec?.type === 'integer' ? spec : spec?.type === 'array' && spec.items?.type === 'integer' ? spec.items : undefined;
    if (whole === undefined) continue;
    for (const value of Array.isArray(raw) ? (raw as unknown[]) : [raw]) {
      if (typeof value === 'string' && !/^\d+$/.test(value)) throw new HttpError(400, 'EBADREQUEST', `querystring/${field} must be ${wholeNumberWords(whole)}, written in digits, not ${JSON.stringify(value)}`);
    }
  }
}
