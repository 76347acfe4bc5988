import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore, type Bucket, type CampaignSummary, type Store } from '../dist/index.js';

/** A fresh results directory. */
export function tempDir(prefix = 'pcfarm-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** What must be equal between two runs of one campaign: everything but times and ids. */
export interface Comparable {
  runs: number;
  steps: number;
  failures: number;
  warnings: number;
  coverage: number;
  batchesDone: number;
  buckets: { title: string; severity: string; count: number; scenarios: string[]; blocksPerPage: number[]; witness: string | null; examples: string[] }[];
}

export async function comparable(store: Store, id: string): Promise<Comparable> {
  const s: CampaignSummary = await store.summary(id);
  const buckets: Bucket[] = await store.buckets(id);
  return {
    runs: s.runs,
    steps: s.steps,
    failures: s.failures,
    warnings: s.warnings,
    coverage: s.coverage,
    batchesDone: s.batchesDone,
    buckets: buckets
      .map((b) => ({
        title: b.title,
        severity: b.severity,
        count: b.count,
        scenarios: b.scenarios,
        blocksPerPage: b.blocksPerPage,
        witness: b.witness,
        examples: b.examples.map((e) => `${e.scenario}/${e.blocksPerPage}:${e.seed}@${e.batch}`),
      }))
      .sort((a, b) => (a.title < b.title ? -1 : 1)),
  };
}

export function openStore(dir: string): EmbeddedStore {
  return EmbeddedStore.open(dir);
}
