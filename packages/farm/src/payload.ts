/**
 * Checking a job payload that crossed a queue or a thread boundary: each
 * getter names the field that is wrong, and a payload from another model
 * version is refused, not run differently.
 */
import { BLOCKS_PER_PAGE, MODEL_VERSION, SCENARIOS, STRATEGIES } from '@pcfarm/core';
import { FarmError } from './errors.js';
import { CAMPAIGN_SCHEDULERS, type CampaignScheduler } from './limits.js';
import { checkStrategyFileRef, type StrategyFileRef } from './strategy-ref.js';

export class PayloadReader {
  private readonly p: Record<string, unknown>;

  /** `what` names the job in messages: "batch job", "minimization job". */
  constructor(payload: unknown, private readonly what: string) {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) this.bad(`expected an object, got ${JSON.stringify(payload) ?? String(payload)}`);
    this.p = payload as Record<string, unknown>;
  }

  bad(m: string): never {
    throw new FarmError('EBADJOB', `malformed ${this.what}: ${m}`);
  }

  str(f: string): string {
    const v = this.p[f];
    return typeof v === 'string' && v !== '' ? v : this.bad(`${f} must be a non-empty string, not ${JSON.stringify(v) ?? 'undefined'}`);
  }

  /** `{[f]: value}` when the payload has a non-empty string there, `{}` when it has none. */
  optionalStr<F extends string>(f: F): { [k in F]?: string } {
    return this.p[f] === undefined ? {} : ({ [f]: this.str(f) } as { [k in F]?: string });
  }

  whole(f: string, min: number, max: number): number {
    const v = this.p[f];
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? v : this.bad(`${f} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v) ?? 'undefined'}`);
  }

  /** The job's model version, which must be this worker's. */
  modelVersion(): string {
    const v = this.str('modelVersion');
    if (v !== MODEL_VERSION) {
      throw new FarmError('EMODELVERSION', `${this.what} for campaign ${JSON.stringify(this.p.campaignId)} was made by model ${v}; this worker runs model ${MODEL_VERSION} and would run it differently, so it refuses it`);
    }
    return v;
  }

  /** The strategy: a built-in one, or the strategy file its `strategyFile` reference names. */
  strategy(): { strategy: string; strategyFile: StrategyFileRef | null } {
    const v = this.str('strategy');
    const ref = this.p.strategyFile;
    if (ref === undefined || ref === null) return STRATEGIES.includes(v) ? { strategy: v, strategyFile: null } : this.bad(`unknown strategy ${JSON.stringify(v)}`);
    const strategyFile = checkStrategyFileRef(ref, (m) => this.bad(`strategyFile: ${m}`));
    if (strategyFile.id !== v) this.bad(`strategyFile is ${JSON.stringify(strategyFile.id)}'s, not the job's strategy ${JSON.stringify(v)}`);
    return { strategy: v, strategyFile };
  }

  scenario(): string {
    const v = this.str('scenario');
    return SCENARIOS.includes(v) ? v : this.bad(`unknown scenario ${JSON.stringify(v)}`);
  }

  /** Disk blocks per page: part of the cell, so a job without it would run another cell. */
  blocksPerPage(): number {
    const v = this.p.blocksPerPage;
    return BLOCKS_PER_PAGE.includes(v as number) ? (v as number) : this.bad(`blocksPerPage must be one of ${BLOCKS_PER_PAGE.join(', ')}, not ${JSON.stringify(v) ?? 'undefined'}`);
  }

  scheduler(): CampaignScheduler {
    const v = this.str('scheduler');
    return CAMPAIGN_SCHEDULERS.includes(v as CampaignScheduler) ? (v as CampaignScheduler) : this.bad(`scheduler must be one of ${CAMPAIGN_SCHEDULERS.join(', ')}, not ${JSON.stringify(v)}`);
  }
}
