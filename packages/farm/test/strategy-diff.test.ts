import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignSpec, diffCampaigns, EmbeddedStore, loadStrategyFile, regressionTest, retestBuckets, runCampaign, strategyFileRef, strategyResolver, strategyTemplate, ThreadPool, type CampaignSnapshot, type CampaignSpec } from '../dist/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const readBuiltIn = (file: string): string => readFileSync(new URL(`../../core/src/strategies/${file}`, import.meta.url), 'utf8');
// Inside the checkout, so the exported test resolves vitest as a user's repository would.
const work = mkdtempSync(join(ROOT, 'packages/farm/test/.tmp-diff-'));
let store: EmbeddedStore;
let pool: ThreadPool;
let before: CampaignSnapshot;
let after: CampaignSnapshot;

async function campaign(spec: Partial<CampaignSpec>): Promise<CampaignSnapshot> {
  const c = await store.createCampaign(campaignSpec(spec));
  expect((await runCampaign(store, c.id, pool)).endedBy).toBe('done');
  return store.snapshot(c.id);
}

beforeAll(async () => {
  store = EmbeddedStore.open(join(work, 'results'));
  pool = new ThreadPool({ threads: 2 });
  // Anton's flag as first sent: read and truncate wait on it, the fault path does not.
  const first = strategyTemplate('my-excl', 'excl-flag', readBuiltIn).replace('fault: true', 'fault: false');
  writeFileSync(join(work, 'my-excl.ts'), first);
  const cells = { scenarios: ['self-mmap-write', 'hole-fill-vs-read'], blocksPerPage: [1], seedsPerCell: 600, batchSeeds: 200 };
  before = await campaign({ name: 'before', strategyFiles: [strategyFileRef(loadStrategyFile(join(work, 'my-excl.ts')))], ...cells });
  // Nick Piggin: "you must also exclude filemap_nopage".
  writeFileSync(join(work, 'my-excl-nopage.ts'), first.replace("id: 'my-excl'", "id: 'my-excl-nopage'").replace('fault: false', 'fault: true'));
  after = await campaign({ name: 'after', strategyFiles: [strategyFileRef(loadStrategyFile(join(work, 'my-excl-nopage.ts')))], ...cells });
}, 120_000);

afterAll(async () => {
  await pool?.close();
  await store?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('pcfarm diff: the findings of two versions of a design', () => {
  it('excluding filemap_nopage makes the stale blocks go and a deadlock come: "still deadlocky"', () => {
    const d = diffCampaigns(before, after);
    expect(d.pairs).toEqual([['my-excl', 'my-excl-nopage']]);
    expect(d.notes).toEqual(['strategy my-excl of A is compared with my-excl-nopage of B']);
    const gone = d.buckets.filter((b) => b.change === 'gone');
    const fresh = d.buckets.filter((b) => b.change === 'new');
    expect(gone.map((b) => b.kind)).toContain('stale-data');
    expect(fresh.map((b) => b.kind)).toContain('deadlock');
    expect(fresh.find((b) => b.kind === 'deadlock')!.b!.title).toMatch(/^deadlock in my-excl-nopage: self; wait_on_bit PG_writing in filemap_nopage <- /);
    // Each side's rate is its count over its strategy's runs in the cells both ran.
    for (const b of d.buckets) for (const s of [b.a, b.b]) if (s !== null) expect(s.rate).toBeCloseTo(s.count / s.runs, 12);
  });

  it('re-tests every failure bucket of A against B, as syzbot tracks fixes: the stale-data buckets are fixed', () => {
    const retests = retestBuckets(before, after, [['my-excl', 'my-excl-nopage']], strategyResolver([]));
    expect(retests.length).toBe(before.buckets.filter((b) => b.severity === 'failure').length);
    const stale = retests.filter((r) => r.title.startsWith('stale-data'));
    expect(stale.length).toBeGreaterThan(0);
    for (const r of stale) expect(r).toEqual(expect.objectContaining({ verdict: 'fixed', by: null, against: 'my-excl-nopage' }));
    // And the other way round, B's deadlock still happens on B's own strategy: the retest can say "still failing".
    const self = retestBuckets(after, after, [['my-excl-nopage', 'my-excl-nopage']], strategyResolver([]));
    expect(self.find((r) => r.title.startsWith('deadlock'))).toEqual(expect.objectContaining({ verdict: 'still-failing', by: 'reproducer' }));
  });

  it('a campaign that ran other cells is compared on the cells both ran, and says so', async () => {
    const wider = await campaign({ name: 'wider', strategies: ['v2.6.20'], scenarios: ['self-mmap-write', 'cross-mmap-write'], blocksPerPage: [1], seedsPerCell: 200, batchSeeds: 200 });
    const narrow = await campaign({ name: 'narrow', strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], blocksPerPage: [1], seedsPerCell: 200, batchSeeds: 200 });
    const d = diffCampaigns(wider, narrow);
    expect(d.notes).toEqual(['scenarios cross-mmap-write only in A: compared on the ones both ran']);
    expect(d.buckets.every((b) => b.change === 'same')).toBe(true);
    // A bucket seen also in a cell only A ran keeps one count over both: its rate is over all A's runs, and no change is claimed from it.
    const inflated = structuredClone(wider);
    const self = inflated.buckets.find((b) => b.severity === 'failure' && b.scenarios.includes('self-mmap-write'))!;
    self.scenarios = ['cross-mmap-write', 'self-mmap-write'];
    self.count *= 50;
    const mixed = diffCampaigns(inflated, narrow);
    const row = mixed.buckets.find((b) => b.a?.bucketId === self.id)!;
    expect(row.change).toBe('same');
    expect(row.a!.runs).toBe(400);
    expect(mixed.notes).toContain("1 bucket(s) in both were seen also in cells only one campaign ran: a bucket keeps one count over its cells, so their rates are over all that campaign's runs, and no change of rate is claimed for them");
  }, 60_000);
});

describe('pcfarm export-test: a bucket as a regression test', () => {
  it('writes a vitest file that passes while the bug is there, and with --fixed passes once it is gone', () => {
    const bucket = after.buckets.find((b) => b.kind === 'deadlock' && b.severity === 'failure')!;
    const dir = join(work, 'tests');
    mkdirSync(dir, { recursive: true });
    const still = join(dir, 'still.test.ts');
    const stillText = regressionTest({ campaign: after.campaign, bucket, fixed: false, testPath: still, pcfarmRoot: ROOT });
    writeFileSync(still, stillText);
    const fixedTest = join(dir, 'fixed.test.ts');
    const fixedText = regressionTest({ campaign: after.campaign, bucket, fixed: true, testPath: fixedTest, pcfarmRoot: ROOT });
    writeFileSync(fixedTest, fixedText);
    expect(readFileSync(still, 'utf8')).toContain("loadStrategyFile(fileURLToPath(new URL(\"../my-excl-nopage.ts\", import.meta.url)))");
    // Piggin's change undone, beside it: the same two files, whose strategy file (next to their folder, as in work/) no longer waits
    // in filemap_nopage. One vitest run for all four, each file's verdict read from the JSON report: one vitest start-up, not one a state.
    const undone = join(work, 'undone');
    mkdirSync(join(undone, 'tests'), { recursive: true });
    writeFileSync(join(undone, 'my-excl-nopage.ts'), readFileSync(join(work, 'my-excl-nopage.ts'), 'utf8').replace('fault: true', 'fault: false'));
    const undoneStill = join(undone, 'tests', 'still.test.ts');
    const undoneFixed = join(undone, 'tests', 'fixed.test.ts');
    writeFileSync(undoneStill, stillText);
    writeFileSync(undoneFixed, fixedText);
    // The user's repository's own vitest config, not pcfarm's.
    const config = join(work, 'vitest.config.mjs');
    writeFileSync(config, "export default { test: { include: ['tests/*.test.ts', 'undone/tests/*.test.ts'] } };\n");
    const report = join(work, 'report.json');
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', work, '--config', config, '--reporter', 'json', '--outputFile', report], { cwd: work, stdio: 'pipe' });
    } catch {
      // A failing test file is a non-zero exit: the report says which.
    }
    const r = JSON.parse(readFileSync(report, 'utf8')) as { testResults: { name: string; status: string; assertionResults: { fullName: string }[] }[] };
    const titles = r.testResults.flatMap((t) => t.assertionResults.map((a) => a.fullName));
    expect(titles.some((t) => /still deadlocks: deadlock in my-excl-nopage/.test(t)), titles.join('\n')).toBe(true);
    const passed = new Map(r.testResults.map((t) => [t.name, t.status === 'passed']));
    // While the bug is there the test passes and its --fixed twin fails; once it is gone, the other way round.
    expect(passed).toEqual(new Map([[fixedTest, false], [still, true], [undoneFixed, true], [undoneStill, false]]));
  }, 60_000);
});
