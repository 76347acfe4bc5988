/**
 * What each command takes and what it says about itself: the options each
 * command (and each mode of one) accepts, which the commands check against,
 * and the help that lists them, from one table so neither drifts from the
 * other. Light on purpose: main loads it on every start.
 */
import { BLOCKS_PER_PAGE, DEFAULTS, MINIMIZE_DEFAULTS, SCHEDULERS, VERIFY_DEFAULTS } from '@pcfarm/core';
import { CAMPAIGN_DEFAULTS, CAMPAIGN_LIMITS, CAMPAIGN_SCHEDULERS, FARM_WORKER_DEFAULTS, GUIDE_DEFAULTS, POLLEN_DEFAULTS, PORTFOLIO_LATELY_EPOCHS, STEER_DEFAULTS, STEER_LIMITS } from '@pcfarm/farm/limits';
import { PCFARM } from '@pcfarm/farm/replay-commands';
import { EXIT } from './exit.js';
import { DASHBOARD_PORT_DEFAULT, FUZZ_RUNS_DEFAULT, MATRIX_RUNS_DEFAULT, MATRIX_VERIFY_BOUND_DEFAULT, MATRIX_VERIFY_TIME_S_DEFAULT, MINIMIZE_TIME_MS_DEFAULT, RESULTS_DIR_DEFAULT, STRATEGY_FROM_DEFAULT, VERIFY_TIME_S_DEFAULT } from './limits.js';

/** Options that take no value, wherever they are accepted. */
export const FLAGS: ReadonlySet<string> = new Set(['help', 'json', 'quick', 'smoke', 'first-failure', 'new', 'no-minimize', 'no-dashboard', 'no-pollen', 'read-only', 'farm', 'fleet', 'real-results', 'retest', 'fixed', 'search', 'verify', 'soak']);

/** Options that may be given more than once, each value kept; any other option takes one value. */
export const REPEATABLE: ReadonlySet<string> = new Set(['strategy-file', 'strategies']);

/** Where the farm's Redis is: --redis (or REDIS_URL), the key prefix, how long to wait for it. */
export const REDIS_OPTIONS = ['redis', 'prefix', 'connect-ms'] as const;
/** What one run is, beside its seed or choices. */
export const RUN_OPTIONS = ['strategy', 'scenario', 'scheduler', 'pct-depth', 'blocks-per-page'] as const;
/** What a campaign is: `pcfarm fuzz` and `pcfarm campaign start` take the same ones. */
export const SPEC_OPTIONS = ['strategy', 'strategy-file', 'scenario', 'blocks-per-page', 'seeds', 'seed-start', 'time-s', 'steer-floor-pct', 'batch-seeds', 'scheduler', 'pct-depth', 'no-pollen'] as const;
/** Which store a command reads campaigns from: a results directory, or the farm's Redis. */
export const STORE_OPTIONS = ['results', ...REDIS_OPTIONS] as const;

/** The options of each command, and of each mode of a command: what checkOptions allows. */
export const OPTIONS = {
  fuzz: [...SPEC_OPTIONS, 'threads', 'results', 'resume', 'new', 'no-minimize', 'port', 'no-dashboard'],
  firstFailure: ['first-failure', 'strategy', 'strategy-file', 'scenario', 'blocks-per-page', 'runs', 'seed-start', 'scheduler', 'pct-depth'],
  replay: [...RUN_OPTIONS, 'seed', 'choices', 'strategy-file'],
  minimize: [...RUN_OPTIONS, 'seed', 'runs-max', 'time-ms', 'strategy-file'],
  verify: ['strategy', 'strategy-file', 'scenario', 'campaign', 'preemptions', 'delays', 'reclaim-actions', 'params', 'blocks-per-page', 'time-s', 'schedules-max', 'threads', 'farm', 'results', ...REDIS_OPTIONS, 'json'],
  matrix: ['strategy', 'strategy-file', 'scenario', 'runs', 'blocks-per-page', 'json', 'verify', 'verify-time-s', 'preemptions', 'delays', 'reclaim-actions'],
  strategyNew: ['from'],
  diff: [...STORE_OPTIONS, 'retest', 'strategy-file', 'json'],
  exportTest: [...STORE_OPTIONS, 'campaign', 'fixed', 'out'],
  bench: ['quick', 'smoke', 'threads', 'json', 'search'],
  benchSoak: ['soak', 'time-s', 'interval-s', 'threads', 'results', 'json'],
  benchFarm: ['farm', 'fleet', 'quick', 'smoke', 'json', 'redis', 'workers', 'batch-seeds', 'batches', 'real-results', 'batch-ms'],
  list: [],
  dashboard: ['port', 'host', 'token', 'token-file', ...REDIS_OPTIONS, 'results', 'read-only', 'threads'],
  coordinator: [...REDIS_OPTIONS, 'queued-per-worker', 'audit-one-in', 'lease-ms', 'reconcile-ms', 'progress-ms', 'tick-ms', 'infra-retries-max', 'minimize-runs-max'],
  worker: [...REDIS_OPTIONS, 'concurrency', 'lock-ms', 'stalled-check-ms', 'stalled-retries-max', 'heartbeat-ms', 'id', 'strategies'],
  campaignStart: [...REDIS_OPTIONS, 'name', ...SPEC_OPTIONS, 'json'],
  campaignRead: [...REDIS_OPTIONS, 'json'],
  campaignShow: [...REDIS_OPTIONS, 'results', 'json'],
  campaignChange: [...REDIS_OPTIONS],
  campaignExport: [...REDIS_OPTIONS, 'out', 'results'],
  campaignImport: [...REDIS_OPTIONS, 'results'],
  help: [],
} as const satisfies Record<string, readonly string[]>;

/** The commands, in the order help lists them. */
export const COMMANDS = ['fuzz', 'replay', 'minimize', 'verify', 'matrix', 'strategy', 'diff', 'export-test', 'bench', 'dashboard', 'coordinator', 'worker', 'campaign', 'list', 'help'] as const;
export type Command = (typeof COMMANDS)[number];

export const isCommand = (name: string): name is Command => (COMMANDS as readonly string[]).includes(name);

/** Every option a command takes in any of its modes (a campaign subcommand's included). */
export function optionsOf(command: Command): string[] {
  const modes: Record<Command, readonly (readonly string[])[]> = {
    fuzz: [OPTIONS.fuzz, OPTIONS.firstFailure],
    replay: [OPTIONS.replay],
    minimize: [OPTIONS.minimize],
    verify: [OPTIONS.verify],
    matrix: [OPTIONS.matrix],
    strategy: [OPTIONS.strategyNew],
    diff: [OPTIONS.diff],
    'export-test': [OPTIONS.exportTest],
    bench: [OPTIONS.bench, OPTIONS.benchFarm, OPTIONS.benchSoak],
    list: [OPTIONS.list],
    dashboard: [OPTIONS.dashboard],
    coordinator: [OPTIONS.coordinator],
    worker: [OPTIONS.worker],
    campaign: [OPTIONS.campaignStart, OPTIONS.campaignRead, OPTIONS.campaignShow, OPTIONS.campaignChange, OPTIONS.campaignExport, OPTIONS.campaignImport],
    help: [OPTIONS.help],
  };
  return [...new Set(modes[command].flat())];
}

interface CommandHelp {
  /** Synopsis lines: the command and its options, each option group a string, wrapped as needed. */
  usage: readonly (readonly string[])[];
  /** What it does: paragraphs, wrapped. */
  about: readonly string[];
  /** Its exit statuses. */
  exit: string;
}

const bpp = BLOCKS_PER_PAGE.join(',');
const campaignSchedulers = CAMPAIGN_SCHEDULERS.join('|');
const runSchedulers = SCHEDULERS.join('|');
/** The schedulers a seed runs under: replay runs a choice list, and minimize takes a seed. */
const seedSchedulers = SCHEDULERS.filter((s) => s !== 'replay').join('|');
const usageOrBadInput = `${EXIT.usage} on bad usage`;
/** What --strategy-file does, wherever it is taken. */
const STRATEGY_FILE_ABOUT = "--strategy-file PATH (repeatable) loads a strategy file of your own ('strategy new' writes one; TypeScript or JavaScript, docs/STRATEGY-API.md): its id is a strategy like a built-in one, and without --strategy only the files' strategies run. A file that does not load is named with file:line, exit 2.";

const HELP: Record<Command, CommandHelp> = {
  fuzz: {
    usage: [
      ['fuzz', '[--strategy S,S...]', '[--strategy-file PATH ...]', '[--scenario X,X...]', '[--blocks-per-page B,B...]', '[--seeds N | --time-s T [--steer-floor-pct P]]', '[--seed-start N]', '[--batch-seeds N]', `[--scheduler ${campaignSchedulers} [--no-pollen]]`, '[--pct-depth D]', '[--threads N]', '[--results DIR]', '[--resume ID | --new]', '[--no-minimize]', '[--port P | --no-dashboard]'],
      ['fuzz --first-failure', '[--strategy S]', '[--strategy-file PATH ...]', '[--scenario X]', '[--blocks-per-page B,B...]', '[--runs N]', '[--seed-start N]', `[--scheduler ${SCHEDULERS.filter((x) => x !== 'replay').join('|')}|guided|portfolio]`, '[--pct-depth D]'],
    ],
    about: [
      `A campaign: every strategy x every scenario x blocks per page (default ${bpp}), N seeds per cell (default ${CAMPAIGN_DEFAULTS.seedsPerCell}) from --seed-start (default ${CAMPAIGN_DEFAULTS.seedStart}), or as many as T seconds allow, in batches of --batch-seeds seeds (default ${CAMPAIGN_DEFAULTS.batchSeeds}, at most ${CAMPAIGN_LIMITS.batchSeedsMax}) on N worker threads (default: one per core). The scheduler is ${CAMPAIGN_DEFAULTS.scheduler} by default, its depth --pct-depth (default ${CAMPAIGN_DEFAULTS.pctDepth}, at most ${CAMPAIGN_LIMITS.pctDepthMax}). --scheduler guided learns as it runs: each batch runs a coverage-guided search that returns to rare abstract states, starting from the states its cell's earlier batches found (kept in the store, so the threads, a farm and a resumed campaign share them); a cell's batches go in epochs (rounds 0-1, 2-3, 4-7, 8-15, then ${GUIDE_DEFAULTS.epochRounds} at a time), each waiting for the epochs before it, so the same seeds find the same buckets on any number of threads; --scheduler portfolio runs each batch in plays of 4 runs, each by the scheduler (pct, random, pos, surw or pct-sparse) a bandit picks from the abstract states each reached lately, in the cell's last ${PORTFOLIO_LATELY_EPOCHS} epochs (UCB1: each tried once, then the one whose plays reach most states, the others now and then, one with no play lately tried again). Their examples are reproducers, not seeds. Both start each cell by replaying the failures the store held on its scenario and blocks per page when the campaign was made, from other strategies (its pollen, at most ${POLLEN_DEFAULTS.perCellMax} a cell): a schedule that broke one write path often breaks another; --no-pollen starts them cold.`,
      `A campaign of T seconds and no --seeds is steered: every cell gets ${STEER_DEFAULTS.firstBatchesPerCell} batches first, then each cell's share of the next batches follows its residual risk (the chance its next run reaches coverage or a bucket none has), never below P percent of an even share (--steer-floor-pct, default ${STEER_DEFAULTS.floorPct}; ${STEER_LIMITS.floorPctMax} deals evenly). So which seeds run depends on what was found; a batch's seeds always find the same buckets. The summary shows what each cell got.`,
      'Failures are bucketed by signature and each new bucket is minimized in the background (--no-minimize skips that); warnings (class-only lock-order cycles, each with a witness scenario where their instances meet) are bucketed apart.',
      `Results are kept in DIR (default ./${RESULTS_DIR_DEFAULT}), one line per finished batch. Ctrl-C stops the campaign with a summary, and the same command resumes it; run again once it is done, it prints what it found. --resume ID resumes or prints the campaign ID (one imported with 'campaign import' too); --new starts the same campaign afresh.`,
      `The dashboard is served on http://127.0.0.1:P/ while it runs (default ${DASHBOARD_PORT_DEFAULT}, or any free port when that one is taken).`,
      `${STRATEGY_FILE_ABOUT} The campaign records each file's source hash: once the file is edited, the same command refuses to resume or print the campaign of the old source; --new starts a new campaign, and 'diff' compares the two.`,
      `--first-failure (or --runs): run seeds in this process, no threads and nothing written, until the first failure of each strategy x scenario x blocks per page (default ${DEFAULTS.blocksPerPage}), at most N seeds a cell (default ${FUZZ_RUNS_DEFAULT}), and print it with its warnings, seed, replay and minimize commands and reproducer; a cell that only warned says so, with its first warning and witness. --scheduler guided runs a coverage-guided search (it archives the abstract states runs reach, kernel state at each context switch, and replays the choices that reach a rare one, then goes on from the seed), portfolio shares the runs among pct, random, pos, surw and pct-sparse (pct with reclaim preempting one step in four), cutting by successive halving the half that reaches fewest states; their failures are given as reproducers, and each cell ends with its residual risk (Good-Turing: the chance the next run reaches something new).`,
    ],
    exit: `exit ${EXIT.ok} when every run passed or only warned, ${EXIT.found} when it found failures, ${usageOrBadInput} or a results directory it cannot use, ${EXIT.interrupted} when stopped by Ctrl-C`,
  },
  replay: {
    usage: [
      ['replay', '--strategy S', '--scenario X', '(--seed N | --choices 0,3,1,...)', `[--scheduler ${runSchedulers}]`, '[--pct-depth D]', '[--blocks-per-page B]', '[--strategy-file PATH ...]'],
      ['replay REPRODUCER', '[--strategy-file PATH ...]'],
    ],
    about: [
      'Run one seed, choice list or reproducer (pcfarm1:...) with the trace on: one line per event, then the failure or ok, and the run\'s warnings.',
      `${STRATEGY_FILE_ABOUT} A reproducer made with another source of its file says so first, is replayed all the same, and ends with what it does now: "now: ok", or its signature now.`,
    ],
    exit: `exit ${EXIT.ok} when the run passed, ${EXIT.found} when it failed, ${usageOrBadInput}, a reproducer that does not decode or a strategy file that does not load`,
  },
  minimize: {
    usage: [
      ['minimize', '--strategy S', '--scenario X', '--seed N', `[--scheduler ${seedSchedulers}]`, '[--pct-depth D]', '[--blocks-per-page B]', '[--runs-max N]', '[--time-ms T]', '[--strategy-file PATH ...]'],
      ['minimize REPRODUCER', '[--runs-max N]', '[--time-ms T]', '[--strategy-file PATH ...]'],
    ],
    about: [
      `Shrink a failing run to the smallest choice list that fails with the same signature and print its reproducer; it stops at a fixpoint, after --runs-max runs (default ${MINIMIZE_DEFAULTS.runsMax}) or after --time-ms milliseconds (default ${MINIMIZE_TIME_MS_DEFAULT}).`,
      `${STRATEGY_FILE_ABOUT} A reproducer made with another source of its file is minimized against the file as it is now, and says so.`,
    ],
    exit: `exit ${EXIT.ok} with a reproducer, ${usageOrBadInput} or when the run passes (nothing to minimize)`,
  },
  verify: {
    usage: [['verify', '--strategy S --scenario X | --campaign ID', '[--strategy-file PATH ...]', '[--preemptions K | --delays K]', '[--reclaim-actions R]', '[--params P]', '[--blocks-per-page B]', '[--time-s T]', '[--schedules-max N | --threads N | --farm [--redis URL] [--prefix P] [--connect-ms N]]', '[--results DIR | --redis URL [--prefix P]]', '[--json]']],
    about: [
      `Every schedule of one cell up to K preemptions (CHESS's bound: a switch away from a task that could go on; default ${VERIFY_DEFAULTS.preemptionsMax}) or K delays, with at most R reclaim actions (default ${VERIFY_DEFAULTS.reclaimActionsMax}) and generated parameters summing to at most P (default ${VERIFY_DEFAULTS.paramsMax}), deepening 0, 1, ... K within T seconds (default ${VERIFY_TIME_S_DEFAULT}) or N schedules.`,
      'A counterexample is minimized and printed with its reproducer; otherwise a certificate: clean up to the highest bound reached, its schedules, equivalence classes and hash. --json prints one object.',
      'With --results DIR (a results directory, as fuzz\'s) or --redis URL the certificate, and a counterexample, are kept in that store; --farm keeps them in the farm\'s Redis. Of each cell, model version, strategy source, bound kind and limits, a store keeps the highest bound certified and the lowest failing; a campaign\'s page and campaign show put them beside the cell\'s runs. A results directory keeps them in certificates.jsonl, which verify appends to even while a fuzz writes the same directory.',
      '--campaign ID searches every cell of that campaign (of the farm\'s Redis, or of --results DIR), each within T seconds, N side by side with --threads N, and keeps what it finds there; a cell the store already answers to the bound is not searched again; a strategy file the campaign ran is given with --strategy-file, at the source it ran.',
      '--threads N cuts each bound\'s search into subtrees by prefix and runs them on N threads; --farm queues them for the farm\'s workers (Redis as for the coordinator), each subtree a job run once, kept a day so the same search asked again is answered at once: the same schedules, classes, hash and counterexample as on one thread.',
      STRATEGY_FILE_ABOUT,
    ],
    exit: `exit ${EXIT.ok} when certified to the bound asked, ${EXIT.found} on a counterexample, ${usageOrBadInput}, ${EXIT.budget} when the budget ran out first`,
  },
  matrix: {
    usage: [['matrix', '[--strategy S,S...]', '[--strategy-file PATH ...]', '[--scenario X,X...]', '[--runs N]', '[--blocks-per-page B,B...]', '[--verify [--verify-time-s T] [--preemptions K | --delays K] [--reclaim-actions R]]', '[--json]']],
    about: [
      `Every strategy x scenario x blocks per page (default ${bpp}), every seed 0..N-1 (default N = ${MATRIX_RUNS_DEFAULT}): the most severe kind any run failed with and how many did, or clean, and the runs that warned; then the fault-free costs. --json gives every kind's count and first seed, and the strategy files' ids, paths and source hashes.`,
      `The strategies are --strategy's, a column each (default: every built-in one). ${STRATEGY_FILE_ABOUT} To see yours beside a built-in one, name both: --strategy excl-flag,my-excl. --scenario X,X... keeps only those rows (default: every scenario).`,
      `--verify adds each cell's bound, by verify's iterative deepening within --verify-time-s T seconds a cell (default ${MATRIX_VERIFY_TIME_S_DEFAULT}) up to K preemptions or delays (default ${MATRIX_VERIFY_BOUND_DEFAULT}) with at most R reclaim actions (default ${VERIFY_DEFAULTS.reclaimActionsMax}): the smallest bound where some schedule fails, or the highest every schedule passed.`,
    ],
    exit: `exit ${EXIT.ok} when done, ${usageOrBadInput}`,
  },
  strategy: {
    usage: [['strategy new NAME', '[--from STRATEGY]']],
    about: [
      `Write NAME.ts in the current directory: a strategy file of your own, a self-contained copy of the built-in STRATEGY (default ${STRATEGY_FROM_DEFAULT}, the 2.6.20 kernel's own write path, where every proposal of the thread starts) with the id NAME and notes on what each step may do (docs/STRATEGY-API.md is the whole contract). It never overwrites a file. Edit it, then run it with --strategy-file NAME.ts; the command to start with is printed.`,
    ],
    exit: `exit ${EXIT.ok} when written, ${usageOrBadInput}, a NAME.ts already there, or no built-in strategy sources beside this pcfarm (a checkout's packages/core/src/strategies)`,
  },
  diff: {
    usage: [['diff A B', '[--retest [--strategy-file PATH ...]]', '[--json]', '[--results DIR | --redis URL [--prefix P] [--connect-ms N]]']],
    about: [
      `Compare campaigns A and B of one store (--results DIR, default ./${RESULTS_DIR_DEFAULT}; or the farm's Redis with --redis): notes on how their specs differ, then the buckets new in B, gone from B and changed in rate (a two-proportion test), each with its runs and rate on both sides, counted on the cells both ran. A strategy of A is compared with the same id in B, or with the one strategy B has that A lacks.`,
      'With --retest, like syzbot\'s fix tracking: each failure bucket of A is run again (its reproducer and example seeds) against B\'s strategy and said fixed or still failing, and by what. B\'s strategy files are found at the path B recorded with the source hash B recorded, or given with --strategy-file. Retesting is asked for, not done by default: it runs the model, and needs B\'s files on this machine. --json prints one object.',
    ],
    exit: `exit ${EXIT.ok} when B has no new failure bucket and no retest still fails, ${EXIT.found} when it has or one does, ${usageOrBadInput}, an unknown campaign, or B's strategy file not found for --retest`,
  },
  'export-test': {
    usage: [['export-test BUCKET', '[--campaign ID]', '[--fixed]', '[--out PATH]', '[--results DIR | --redis URL [--prefix P] [--connect-ms N]]']],
    about: [
      `Write a vitest test of bucket BUCKET for the repository where your write path lives: it replays the bucket's minimized reproducer and asserts the bucket's signature, or with --fixed its absence (the test of a fix). The file is --out PATH (default ./pcfarm-BUCKET.test.ts), never overwritten; it imports pcfarm from this checkout, and a strategy file's bucket loads the file by its path from the test. The bucket is looked up in campaign --campaign ID, or in every campaign of the store (--results DIR, default ./${RESULTS_DIR_DEFAULT}, or --redis) when only one has it.`,
    ],
    exit: `exit ${EXIT.ok} when written, ${usageOrBadInput}, a bucket not found or in several campaigns, a bucket not minimized yet, or a file already at PATH`,
  },
  bench: {
    usage: [
      ['bench', '[--quick | --smoke]', '[--threads N]', '[--json]'],
      ['bench --search', '[--quick | --smoke]', '[--json]'],
      ['bench --soak', '[--time-s N]', '[--interval-s S]', '[--threads N]', '[--results DIR]', '[--json]'],
      ['bench --farm', '[--quick | --smoke]', '[--workers N]', '[--batch-seeds N]', '[--json]', '[--redis URL]'],
      ['bench --farm --fleet', '[--quick | --smoke]', '[--workers N,N,...]', '[--batches N]', '[--real-results]', '[--batch-ms N]', '[--batch-seeds N]', '[--json]', '[--redis URL]'],
    ],
    about: [
      'Runs per second of every strategy x scenario on one core; the copy loop and a preemption point beside their bare JavaScript baselines; 1 and N worker threads (default: one per core); time and runs to each failing cell\'s first failure; peak memory; and the targets met or not. The full run takes a few minutes, --quick under 30 s, --smoke (for tests) a few seconds.',
      '--search: for every failing cell, each scheduler\'s (pct, random, pos, surw) and each search\'s (guided, pct-sparse, portfolio) mean runs to the first failure over 200 seed offsets (--quick 40), the communications each reaches in the same runs, and each cell\'s ceiling: the communications every search reached, with each scheduler\'s in 10 times more runs (--quick 8).',
      '--soak: a campaign of every strategy x every scenario (what fuzz --time-s N runs) for N seconds (default 600), and every S seconds (default 60) the process\'s RSS, the results journal\'s size and its compacted state\'s, runs per second, and the time to open the results and to export the campaign; then the journal\'s size projected to 24 hours. Results go to --results DIR (default a new temporary directory).',
      '--farm: the farm\'s runs per second with 1 and N (default 2) worker processes beside the embedded pool on the same cores, and the queue\'s overhead per seed; it starts its own redis-server unless --redis URL is given.',
      '--farm --fleet: the farm\'s machinery alone, at scale: fleets of N,N,... simulated workers (default 1,4,16,64,128; --quick 1,4,16,64) whose batches finish at once with an empty result; for each, the batches and seeds per second the coordinator records and the CPU of the coordinator, Redis and the fleet per batch and per seed, then how many worker cores one coordinator and one Redis serve. --batches N then runs one campaign of N batches on the largest fleet and reports Redis\'s used_memory as they grow. --real-results: each batch answers with what a real batch of its cell found (its buckets and coverage, the size of a real result) rather than nothing; minimization is off. --batch-ms N: each batch takes N ms (spent waiting, no CPU), as a real one takes its time, so the queue stays stocked as in a farm.',
    ],
    exit: `exit ${EXIT.ok} whatever the figures, ${usageOrBadInput}, ${EXIT.unavailable} when --farm has no redis-server to start or reach`,
  },
  list: {
    usage: [['list']],
    about: ['The strategies, scenarios and schedulers, each with what it is.'],
    exit: `exit ${EXIT.ok}`,
  },
  dashboard: {
    usage: [['dashboard', '[--port P]', '[--host H]', '[--token-file FILE | --token T]', '[--redis URL [--prefix P] [--connect-ms N] | --results DIR [--read-only] [--threads N]]']],
    about: [
      `Serve the web dashboard (default http://127.0.0.1:${DASHBOARD_PORT_DEFAULT}/) until Ctrl-C: over the farm's Redis (--redis, or REDIS_URL; --connect-ms is how long to wait for it), or over a results directory, running its campaigns in this process on N threads (default: one per core), or following it read-only while another pcfarm writes it (or with --read-only). Bound beyond loopback (--host), changes need the token: PCFARM_TOKEN, or the first line of --token-file FILE, or --token (which ps shows to everyone).`,
    ],
    exit: `exit ${EXIT.ok} when stopped, ${usageOrBadInput} or a results directory it cannot use, ${EXIT.unavailable} when Redis cannot be reached`,
  },
  coordinator: {
    usage: [['coordinator', '[--queued-per-worker N]', '[--audit-one-in N]', '[--lease-ms N]', '[--reconcile-ms N]', '[--progress-ms N]', '[--tick-ms N]', '[--infra-retries-max N]', '[--minimize-runs-max N]', '[--redis URL]', '[--prefix P]', '[--connect-ms N]']],
    about: [
      'The farm\'s coordinator: cuts running campaigns into batch jobs in Redis (BullMQ), records each result once, queues a minimization of at most --minimize-runs-max runs per new bucket, keeps N batches (default 2) queued per worker slot, and reruns 1 batch in N (default 50; 0 never) on another worker as a determinism audit. A second coordinator stands by and takes over when the first stops renewing its lease (--lease-ms). A job lost to the infrastructure is retried --infra-retries-max times.',
      'Redis is --redis, or REDIS_URL (default redis://127.0.0.1:6379), its keys under --prefix; --connect-ms is how long to wait for it. --reconcile-ms, --progress-ms and --tick-ms set how often it checks the queues, logs progress and acts (for tests).',
    ],
    exit: `exit ${EXIT.ok} after SIGINT or SIGTERM (a second one quits at once: ${EXIT.interrupted} or ${EXIT.terminated}), ${usageOrBadInput}, ${EXIT.unavailable} when Redis cannot be reached`,
  },
  worker: {
    usage: [['worker', '[--concurrency N]', '[--strategies DIR ...]', '[--lock-ms N]', '[--stalled-check-ms N]', '[--stalled-retries-max N]', '[--heartbeat-ms N]', '[--id ID]', '[--redis URL]', '[--prefix P]', '[--connect-ms N]']],
    about: [
      `A farm worker, on any machine that reaches the farm's Redis: N batches at a time on worker threads (default: one per core). --lock-ms (default ${FARM_WORKER_DEFAULTS.lockMs}) is the one setting that decides recovery: the batches of a worker that died run again elsewhere within about 1.5 times it, as the workers look for stalled jobs every --stalled-check-ms (default: half the lock), up to --stalled-retries-max times (default ${FARM_WORKER_DEFAULTS.stalledRetriesMax}). The worker reports itself every --heartbeat-ms (default ${FARM_WORKER_DEFAULTS.heartbeatMs}), as --id (default: host and process).`,
      'No code travels through Redis: a campaign names its strategy files by id, path and source hash, and a worker runs one only with a file of that hash, at the recorded path (the same checkout) or in a --strategies DIR (repeatable; it says how many files it found there, and each it skipped). A job whose file it lacks it hands back, for a worker that has it.',
    ],
    exit: `exit ${EXIT.ok} after SIGINT or SIGTERM (a second one quits at once: ${EXIT.interrupted} or ${EXIT.terminated}), ${usageOrBadInput} or a --strategies directory it cannot read, ${EXIT.unavailable} when Redis cannot be reached`,
  },
  campaign: {
    usage: [
      ['campaign start', '[--strategy S,S...]', '[--strategy-file PATH ...]', '[--scenario X,X...]', '[--blocks-per-page B,B...]', '[--seeds N | --time-s T [--steer-floor-pct P]]', '[--seed-start N]', '[--batch-seeds N]', `[--scheduler ${campaignSchedulers} [--no-pollen]]`, '[--pct-depth D]', '[--name NAME]', '[--json]'],
      ['campaign list', '[--json]'],
      ['campaign show ID', '[--results DIR]', '[--json]'],
      ['campaign stop ID | resume ID | delete ID'],
      ['campaign export ID', '--out FILE', '[--results DIR]'],
      ['campaign import FILE', '[--results DIR]'],
    ],
    about: [
      'The farm\'s campaigns in Redis (--redis, or REDIS_URL; --prefix, --connect-ms as for the coordinator); the coordinator acts on what these change. export writes a campaign as a results file of the embedded store (from Redis, or from --results DIR); import reads one into Redis or into --results DIR, where \'fuzz --results DIR --resume ID\' prints its buckets and replay commands.',
      'show prints a campaign as fuzz ends it, from Redis (with its determinism audit) or from --results DIR; --json gives its summary, buckets, canaries and residual risk (per cell: runs, singletons, risk, doubletons and ahead, the new things a run Chao\'s extrapolation expects over as many runs again, and under pct the runs for 95% confidence of a bug of its depth; null where the store does not count singletons, doubletons and ahead null where it does not count doubletons).',
      'start --strategy-file PATH (repeatable) records each file by id, path and source hash, never its code: each worker needs the same file, at that path or in its --strategies directory. Without --strategy, only the files\' strategies run.',
    ],
    exit: `exit ${EXIT.ok}, ${usageOrBadInput}, an unknown campaign or a file that is not an export, ${EXIT.unavailable} when Redis cannot be reached`,
  },
  help: {
    usage: [['help [COMMAND]'], ['COMMAND --help']],
    about: ['Every command\'s help, or one command\'s.'],
    exit: `exit ${EXIT.ok}`,
  },
};

/** Width help wraps at: a terminal's 100 columns. */
const HELP_COLUMNS = 100;

/** Words (or option groups) as lines of at most HELP_COLUMNS, the first after `first`, the rest after `indent`. */
function wrap(words: readonly string[], first: string, indent: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const w of words) {
    if (!empty && line.length + 1 + w.length > HELP_COLUMNS) {
      lines.push(line);
      line = indent + w;
    } else line = empty ? line + w : `${line} ${w}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** One command's help: its synopsis, what it does, its exit statuses. */
export function commandHelp(command: Command): string {
  const h = HELP[command];
  const lines: string[] = [];
  for (const u of h.usage) lines.push(...wrap(u, `  ${PCFARM} `, '      '));
  for (const para of [...h.about, `${h.exit[0]!.toUpperCase()}${h.exit.slice(1)}.`]) lines.push(...wrap(para.split(' '), '      ', '      '));
  return `${lines.join('\n')}\n`;
}

/** Every command's help, then what the exit statuses mean. */
export function fullHelp(): string {
  const statuses = `Exit statuses, the same in every command: ${EXIT.ok} done, nothing failed; ${EXIT.found} a failure found (by fuzz, replay, verify or diff; matrix, minimize, campaign show and export-test report, and exit ${EXIT.ok}); ${EXIT.usage} bad usage or input it cannot use; ${EXIT.budget} verify's budget ran out; ${EXIT.unavailable} Redis unreachable, or the build failed; ${EXIT.bug} a bug of pcfarm; ${EXIT.interrupted} stopped by Ctrl-C.`;
  return [
    'pcfarm: fuzz Linux page-cache write paths for the hazards of the 2007 write-deadlock debate',
    '',
    ...COMMANDS.map((c) => commandHelp(c)),
    ...wrap(statuses.split(' '), '', ''),
    `One command's help: ${PCFARM} help COMMAND`,
    '',
  ].join('\n');
}

/** The line under a usage error: where the command's help is. */
export function seeHelp(command: string): string {
  return `see: ${PCFARM} help${isCommand(command) && command !== 'help' ? ` ${command}` : ''}`;
}
