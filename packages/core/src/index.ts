/**
 * @pcfarm/core: a deterministic model of the Linux page cache in which the
 * hazards of the February 2007 pagecache write-deadlock debate can happen,
 * judged by oracles, explored from seeds, replayed bit for bit.
 */
export { ConfigError, DEFAULTS, LIMITS, SCHEDULERS, type RunConfig, type ResolvedConfig, type SchedulerId } from './config.js';
export { FAILURE_KINDS, severityOf, type Failure, type FailureKind, type Severity, type TraceEvent } from './kernel.js';
export { Model, runOne, type CoverageSink, type ModelOptions, type Outcome, type RunInput } from './model.js';
export { formatEvent } from './trace.js';
export { groupDigits } from './digits.js';
export { describeCell } from './cell.js';
export { MODEL_VERSION } from './version.js';
export { findingSignature, signatureOf, signatureTitle, type Signature } from './signature.js';
export { minimize, trimZeros, MINIMIZE_DEFAULTS, type MinimizeOptions, type MinimizeResult, type MinimizeStop, type RunSize } from './minimize.js';
export { CONFIG_FIELDS, decodeReproducer, encodeReproducer, reproducerOf, REPRODUCER_PREFIX, type Reproducer } from './reproducer.js';
export { costProfiles, type CostProfile } from './costs.js';
export { BLOCKS_PER_PAGE, cellBound, matrixCell, verdictMatrix, type CellBound, type MatrixCell, type MatrixVerify } from './matrix.js';
export type { PageWritingWaiters, Strategy } from './strategies/strategy.js';
/** The strategy API (docs/STRATEGY-API.md), also importable as @pcfarm/core/strategy-api. */
export * as strategyApi from './strategy-api.js';
export { STRATEGY_API_VERSION } from './strategy-api.js';
export type { Scenario } from './scenarios/scenario.js';
import { SCENARIO_TABLE } from './scenarios/index.js';
import { STRATEGY_TABLE } from './strategies/index.js';

/** Strategy ids, in the order the thread met them. */
export const STRATEGIES: readonly string[] = [...STRATEGY_TABLE.keys()];
/** Scenario ids. */
export const SCENARIOS: readonly string[] = [...SCENARIO_TABLE.keys()];
/** Scenarios that draw their programs from the choices (Scenario.params): a certificate of one covers only the programs its parameter bound allows. */
export const PARAM_SCENARIOS: readonly string[] = [...SCENARIO_TABLE.values()].filter((s) => s.params === true).map((s) => s.id);
/** Each strategy's and scenario's one-line description. */
export const DESCRIPTIONS: Readonly<Record<string, string>> = Object.fromEntries([
  ...[...STRATEGY_TABLE.values()].map((s) => [s.id, s.description]),
  ...[...SCENARIO_TABLE.values()].map((s) => [s.id, s.description]),
]);
export { copyBench, stepBench, type CopyBench, type CopyCase, type StepBench } from './bench-hooks.js';
export { boundsAt, formsHash, mergeSearch, splitSearch, SPLIT_ROUNDS_MAX, SPLIT_SUBTREES_MIN, verify, verifyDeepening, VERIFY_DEFAULTS, verifyModel, type DeepeningResult, type PrefixSleep, type Subtree, type VerifyBounds, type VerifyOptions, type VerifyResult } from './verify.js';
export { GuidedSearch, GUIDED_DEFAULTS, type GuidedOptions, type ArchivedState } from './search/guided.js';
export { PortfolioSearch, PORTFOLIO_ARMS, PORTFOLIO_ARM_CONFIG, PORTFOLIO_DEFAULTS, type ArmStats, type PortfolioArm, type PortfolioOptions } from './search/portfolio.js';
export { chaoNewPerRun, Discovery, goodTuring, pctRunsForConfidence } from './search/risk.js';
export { StateCoverage, type StateSink } from './search/states.js';
export { pollenFor, type PollenCell, type PollenRun } from './search/pollen.js';
