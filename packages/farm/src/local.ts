/**
 * @pcfarm/farm/local: the farm without Redis: campaigns cut into batches, the
 * engine that runs them on a pool of worker threads, the results directory,
 * and what reads results (risk, canaries, diffs, strategy files). A local
 * campaign, a results directory or the dashboard over one loads this alone:
 * BullMQ and ioredis are most of the package's load time (bullmq 270 of
 * 410 ms), and they load only with the whole package (index.ts).
 */
export { FarmError, type FarmErrorCode } from './errors.js';
export { CAMPAIGN_SCHEDULERS, COORDINATOR_DEFAULTS, FARM_WORKER_DEFAULTS, GUIDE_DEFAULTS, GUIDE_LIMITS, isSearchScheduler, POLLEN_DEFAULTS, PORTFOLIO_LATELY_EPOCHS, SEARCH_SCHEDULERS, stalledCheckMsFor, STEER_DEFAULTS, STEER_LIMITS, type CampaignScheduler } from './limits.js';
export { gatherPollen, withPollen } from './pollen.js';
export { buildGuide, contributes, epochStart, guideOf, guideReadyEnd, portfolioArm, portfolioArms, searchCells, type CellSearch, PORTFOLIO_CAMPAIGN_ARMS, PORTFOLIO_EXPLORE_WEIGHT, statesToAdd, type ArchivedState, type ArmTally, type Contribution, type Guide, type GuideSpec } from './guide.js';
export { batchAt, batchConfig, batchCount, seedsPerBatch, batchesByCell, batchPlace, CAMPAIGN_DEFAULTS, CAMPAIGN_LIMITS, campaignSpec, cellAt, cellCount, cellIndex, dealtEnd, runsByCell, seedsOfBatch, newCampaign, roundOf, seedCount, upgradeCampaign, upgradeSpec, type Batch, type Campaign, type CampaignSpec, type CampaignState, type Deal, type SteerSpec } from './campaign.js';
export { BatchRunner, batchDifferences, batchIdentity, checkBatch, emptyResult, readBatch, type BatchResult, type BucketHit, type GuidedInput } from './batch.js';
export { checkMinimizeJob, MINIMIZE_RUNS_MAX_DEFAULT, MINIMIZE_RUNS_MAX_LIMIT, runMinimize, type Minimized, type MinimizeJob } from './minimize-job.js';
export { PayloadReader } from './payload.js';
export { addSample, bucketFindings, bucketId, CampaignResults, CoverageSet, decodeCoverage, doneCount, doneIndexes, doneRangesOf, DoneSet, encodeCoverage, ofLowestExample, leastWitness, mergeExamples, SAMPLE_LIMITS, samplesBound, sampleStep, thinSamples, upgradeBatchResult, upgradeBucket, upgradeMinimized, upgradeSnapshot, type Bucket, type CampaignSnapshot, type CampaignSummary, type DoneRanges, type Example, type RecordOutcome, type Sample, type SampleStep } from './results.js';
export { WORKER_SILENT_MS, type Store, type WorkerInfo } from './store.js';
export { answeredBy, appendCertificate, boundWords, campaignCertificates, CERTIFICATE_LIMITS, CERTIFICATE_UNITS, certificateJson, certificateKey, certificateText, CERTIFICATES_FILE, CERTIFICATES_LOCK_FILE, CERTIFICATES_LOCK_WAIT_MS, cellEvidence, checkCertificate, evidenceText, foldCertificates, parseCertificate, readCertificates, recordCertificateIn, strongerCertificate, type CellEvidence, type Certificate, type CertificateUnit, type Claim } from './certificates.js';
export { COMPACT_FILE, EmbeddedStore, JOURNAL_LIMITS, LOCK_FILE, RESULTS_FILE, RESULTS_FORMAT, RESULTS_VERSIONS_READ, unreadableVersion, type EmbeddedStoreOptions, type JournalEntry } from './embedded-store.js';
export { InfraError, type Executor } from './executor.js';
export { ThreadPool, THREADS_MAX, type ThreadPoolOptions } from './thread-pool.js';
export { minimizeJobOf, needsMinimizing, runCampaign, type EngineOptions, type EngineResult, type Progress } from './engine.js';
export { CANARIES, CANARY_RUNS_FACTOR, canariesOf, canaryChecks, canaryText, type Canary, type CanaryCheck } from './canary.js';
export { campaignRisk, cellFindings, cellRiskOf, riskText, type CampaignRisk, type CellRisk } from './risk.js';
export { dealNextPlan, nextPlan } from './steer.js';
export { AUDIT_ONE_IN_DEFAULT, auditDiff, auditRecordOf, auditSelected, FARM_BUGS_MAX, type AuditRecord, type AuditSummary, type FarmBug, type PendingAudit } from './audit.js';
export { FarmKeys, REDIS_PREFIX_DEFAULT } from './redis-keys.js';
export { checkSnapshot } from './snapshot-check.js';
export { freePort, RedisServer, type RedisServerOptions } from './redis-server.js';
export { checkStrategyFileRef, SOURCE_HASH_PATTERN, STRATEGY_ID_PATTERN, type StrategyFileRef } from './strategy-ref.js';
export { findStrategyFile, loadStrategyFile, loadStrategyFiles, scanStrategyDirs, siteIn, STRATEGY_API_SPECIFIERS, STRATEGY_FILE_BYTES_MAX, STRATEGY_FILE_EXTENSIONS, STRATEGY_RESCAN_MS, strategyFileRef, strategyResolver, strategySourceHash, strategyTemplate, type StrategyFile, type StrategyResolver } from './strategy-files.js';
export { diffCampaigns, DIFF_LIMITS, pairStrategies, retestBuckets, type BucketDiff, type CampaignDiff, type DiffChange, type DiffSide, type FileStrategies, type Retest } from './diff.js';
export { regressionTest, type RegressionTestInput } from './export-test.js';
export { REDIS_CONNECT_MS_DEFAULT, REDIS_URL_DEFAULT, redactedUrl, redisDown } from './redis-url.js';
