/**
 * @pcfarm/farm: campaigns cut into batches, the engine that runs them on a
 * pool of worker threads (or, for the farm, BullMQ workers), and the stores
 * that keep their results.
 */
export * from './local.js';
export { checkFarmSubtreeJob, farmRunner, searchIdentity, VERIFY_JOBS_KEPT_S, verifyDeepeningOnFarm, verifyJobId, verifyQueueName, type FarmSubtreeJob } from './verify-farm.js';
export { connectRedis, type RedisConnectOptions } from './redis-connection.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { CoordinatorBooks, type CampaignProgress } from './coordinator-books.js';
export { postResult, readInboxEntry, type InboxEntry } from './inbox.js';
export { auditJobId, batchJobId, batchQueueName, minimizeJobId, minimizeQueueName, readJob, readJobs, refusalCode, refusalReason, type AuditJobData, type BatchJobName, type UnreadableJob } from './farm-queues.js';
export { Coordinator, type CoordinatorOptions } from './coordinator.js';
export { AUDIT_DEFER_MS, FarmWorker, STRATEGY_HANDBACK_MS, type FarmWorkerOptions } from './farm-worker.js';
