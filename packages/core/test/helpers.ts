import { Model, type ModelOptions, type Outcome, type RunConfig } from '../src/index.js';

/** The first failing outcome in seeds [0, runs), or null. */
export function firstFailure(config: RunConfig, runs: number, options?: ModelOptions, kind?: string): Outcome | null {
  const model = new Model(config, options);
  for (let seed = 0; seed < runs; seed++) {
    const o = model.run({ seed });
    if (!o.ok && (kind === undefined || o.failure!.kind === kind)) return o;
  }
  return null;
}

/** How many runs of each failure kind in seeds [0, runs). */
export function kindsIn(config: RunConfig, runs: number, options?: ModelOptions): Record<string, number> {
  const model = new Model(config, options);
  const kinds: Record<string, number> = {};
  for (let seed = 0; seed < runs; seed++) {
    const o = model.run({ seed });
    if (!o.ok) kinds[o.failure!.kind] = (kinds[o.failure!.kind] ?? 0) + 1;
  }
  return kinds;
}
