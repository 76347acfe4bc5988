/**
 * The model's version, carried by every reproducer. Bump it whenever any
 * strategy, scenario, scheduler or oracle could run a choice list differently
 * (a choose() call added, removed, moved or given another arity, a new check,
 * a changed default): a reproducer made by another version then says so when
 * it is replayed, instead of silently replaying some other run.
 */
export const MODEL_VERSION = 'core-3';
