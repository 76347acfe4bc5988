/**
 * @pcfarm/dashboard: the Fastify JSON API, live updates over server-sent
 * events and the web UI, over the embedded store or Redis.
 */
export { buildApp, DashboardError, liveHubOf, startDashboard, type AppOptions, type Dashboard, type DashboardOptions } from './app.js';
export { isLoopback } from './auth.js';
export { LocalControl, StoreControl, type CampaignActivity, type CampaignControl, type LocalControlOptions } from './control.js';
export { errorAnswer, HttpError, type ErrorBody } from './errors.js';
export { LiveHub, RATE_WINDOW_MS, WORKER_LATE_MS, workerViews, type BucketChange, type BucketEvent, type BucketUpdateEvent, type LiveEvent, type StatsEvent, type WorkersEvent, type WorkerView } from './live.js';
export { MATRIX_RUNS, MATRIX_VERIFY, MATRIX_WORK, MatrixCache, type Matrix, type VerifyLimits, type MatrixWork } from './matrix.js';
export { RETEST_LIMITS, RetestCache, type RetestAnswer, type RetestVerdict, type RetestView } from './retests.js';
export { publicSpec, publicStrategyFile, type PublicStrategyFile } from './strategy-files.js';
export { ThreadWork, WorkCancelled, type ThreadWorkLimits, type WorkState } from './thread-work.js';
export { RATE_LIMITS } from './rate-limits.js';
export { SESSION_COOKIE } from './auth.js';
export { REPLAY_LIMITS, replayReproducer, replaySeed, type ReplayResult } from './replay.js';
export { selectBuckets, type BucketQuery } from './routes/buckets.js';
export { type CampaignView } from './routes/campaigns.js';
export { sampleViews, type SampleView } from './samples.js';
export { PUBLIC_DIR } from './static.js';
export { parseLocks, timelineOf, type EventKind, type Hold, type Timeline, type TimelineEvent } from './timeline.js';
