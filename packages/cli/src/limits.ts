/**
 * The CLI's own defaults and limits, each defined once: the commands use
 * them and the help prints them. (A campaign's are the farm's, in
 * @pcfarm/farm/limits; a run's are the core's.)
 */

/** Seeds `pcfarm fuzz --first-failure` runs per cell when --runs is not given. */
export const FUZZ_RUNS_DEFAULT = 1000;
/** Seeds `pcfarm matrix` runs per cell when --runs is not given. */
export const MATRIX_RUNS_DEFAULT = 1000;
/** The wall-clock budget of `pcfarm minimize`; the core counts runs, only the CLI has a clock. */
export const MINIMIZE_TIME_MS_DEFAULT = 20_000;
/** The wall-clock budget of `pcfarm verify` when --time-s is not given; the core counts schedules, only the CLI has a clock. */
export const VERIFY_TIME_S_DEFAULT = 60;
/** The highest --preemptions, --delays or --reclaim-actions a search takes: far past any a search finishes (3 is already hours on the big scenarios). */
export const VERIFY_BOUND_MAX = 64;
/** The highest --params (the sum of a generated scenario's parameters) a search takes. */
export const VERIFY_PARAMS_MAX = 1000;
/**
 * `pcfarm matrix --verify`: each cell's time budget in seconds when
 * --verify-time-s is not given. Most clean cells reach 1 or 2 preemptions
 * in it and failing ones fail in milliseconds; every strategy x scenario x
 * blocks per page is then some minutes of one core.
 */
export const MATRIX_VERIFY_TIME_S_DEFAULT = 1;
/** The bound `pcfarm matrix --verify` deepens to at most when --preemptions or --delays is not given: issue 13's goal is 3 for the clean strategies. */
export const MATRIX_VERIFY_BOUND_DEFAULT = 3;
/** Where `pcfarm fuzz` keeps its results when --results is not given (relative to the working directory). */
export const RESULTS_DIR_DEFAULT = 'pcfarm-results';
/** The port `pcfarm dashboard` (and `pcfarm fuzz`'s dashboard) listens on when --port is not given. */
export const DASHBOARD_PORT_DEFAULT = 8080;
/** The highest TCP port, for --port (0 takes any free one). */
export const PORT_MAX = 65535;
/** How long a farm command waits for Redis to answer, at most, for --connect-ms. */
export const CONNECT_MS_MAX = 3_600_000;
/** The built-in strategy `pcfarm strategy new` copies when --from is not given: the 2.6.20 kernel's own write path, where every proposal of the thread starts. */
export const STRATEGY_FROM_DEFAULT = 'v2.6.20';
