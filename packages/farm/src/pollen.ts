/**
 * What a new guided or portfolio campaign starts its cells with: the
 * failures the store already holds on its scenarios (core
 * search/pollen.ts says why a failure of one write path is worth replaying
 * on another). Gathered once, when the campaign is made, into its spec
 * (GuideSpec.pollen), so its runs depend on its spec and seeds alone.
 */
import { decodeReproducer, encodeReproducer, MODEL_VERSION, reproducerOf, STRATEGIES, type Reproducer } from '@pcfarm/core';
import { BatchRunner } from './batch.js';
import { batchConfig, type CampaignSpec } from './campaign.js';
import { GUIDE_LIMITS, POLLEN_DEFAULTS } from './limits.js';
import type { Store } from './store.js';

/** One failure found on a cell: where, on which strategy, and the run as a reproducer (made only when it is taken). */
interface Found {
  strategy: string;
  scenario: string;
  blocksPerPage: number;
  /** Bucket title or certificate signature: one failure of a strategy is heard once a cell. */
  title: string;
  reproducer: () => string | null;
}

/**
 * The pollen of a campaign of `spec`: for each of its scenario x blocks per
 * page cells, at most perCellMax failures the store's newest campaigns of
 * this model version found there (a failure bucket's minimized reproducer,
 * else its first example's run) and verify's counterexamples, a strategy at
 * a time, newest first; at most GUIDE_LIMITS.pollenMax in all. Empty for a
 * spec that keeps no guide.
 */
export async function gatherPollen(store: Store, spec: Pick<CampaignSpec, 'scenarios' | 'blocksPerPage' | 'guide'>, limits: { campaignsMax: number; perCellMax: number } = POLLEN_DEFAULTS): Promise<string[]> {
  if (spec.guide === null) return [];
  const wanted = (scenario: string, bpp: number): boolean => spec.scenarios.includes(scenario) && spec.blocksPerPage.includes(bpp);
  const found: Found[] = [];
  // The seed examples are made again on the farm's own runner: one model a config (a Model allocates its whole kernel).
  const runner = new BatchRunner();
  const campaigns = (await store.listCampaigns()).filter((c) => c.modelVersion === MODEL_VERSION).slice(0, limits.campaignsMax);
  for (const c of campaigns) {
    for (const b of await store.buckets(c.id)) {
      if (b.severity !== 'failure') continue;
      const m = b.minimized;
      if (m !== null && wanted(m.scenario, m.blocksPerPage)) {
        found.push({ strategy: b.strategy, scenario: m.scenario, blocksPerPage: m.blocksPerPage, title: b.title, reproducer: () => m.reproducer });
        continue;
      }
      const e = b.examples.find((x) => wanted(x.scenario, x.blocksPerPage));
      if (e === undefined) continue;
      const reproducer = (): string | null => {
        if (e.reproducer !== undefined) return e.reproducer;
        // A seed campaign's example: its run, made again (a built-in strategy's; a file's needs its file).
        if (!STRATEGIES.includes(b.strategy)) return null;
        const config = batchConfig({ strategy: b.strategy, scenario: e.scenario, blocksPerPage: e.blocksPerPage, scheduler: c.spec.scheduler, pctDepth: c.spec.pctDepth });
        return encodeReproducer(reproducerOf(config, runner.modelOf(config, null).run({ seed: e.seed }).choices));
      };
      found.push({ strategy: b.strategy, scenario: e.scenario, blocksPerPage: e.blocksPerPage, title: b.title, reproducer });
    }
  }
  for (const cert of (await store.certificates()).sort((x, y) => y.at - x.at)) {
    const r = cert.reproducer;
    if (cert.result !== 'fail' || r === null || cert.modelVersion !== MODEL_VERSION || !wanted(cert.scenario, cert.blocksPerPage)) continue;
    found.push({ strategy: cert.strategy, scenario: cert.scenario, blocksPerPage: cert.blocksPerPage, title: cert.signature ?? r, reproducer: () => r });
  }
  // Per cell: one failure of each strategy in turn (its newest first), so a cell hears from the most strategies.
  const pollen: string[] = [];
  for (const scenario of spec.scenarios) {
    for (const bpp of spec.blocksPerPage) {
      const byStrategy = new Map<string, Found[]>();
      const titles = new Set<string>();
      for (const f of found) {
        if (f.scenario !== scenario || f.blocksPerPage !== bpp || titles.has(`${f.strategy}\0${f.title}`)) continue;
        titles.add(`${f.strategy}\0${f.title}`);
        let list = byStrategy.get(f.strategy);
        if (list === undefined) byStrategy.set(f.strategy, (list = []));
        list.push(f);
      }
      let taken = 0;
      for (let depth = 0; taken < limits.perCellMax && [...byStrategy.values()].some((l) => l.length > depth); depth++) {
        for (const list of byStrategy.values()) {
          const f = list[depth];
          if (f === undefined || taken >= limits.perCellMax || pollen.length >= GUIDE_LIMITS.pollenMax) continue;
          const r = usable(f.reproducer());
          if (r === null) continue;
          pollen.push(r);
          taken++;
        }
      }
    }
  }
  return pollen;
}

/** A reproducer this model replays, or null (another model version, a corrupt record): pollen is a hint, never a reason to refuse a campaign. */
function usable(text: string | null): string | null {
  if (text === null) return null;
  try {
    const r: Reproducer = decodeReproducer(text, null);
    return r.modelVersion === MODEL_VERSION ? text : null;
  } catch {
    return null;
  }
}

/** `spec` with the pollen `store` holds for it (a guided or portfolio campaign's, made now); any other spec as it is. */
export async function withPollen(store: Store, spec: CampaignSpec): Promise<CampaignSpec> {
  if (spec.guide === null) return spec;
  return { ...spec, guide: { ...spec.guide, pollen: await gatherPollen(store, spec) } };
}
