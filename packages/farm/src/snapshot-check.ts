/**
 * Checking an exported campaign before it is imported: a file moves between
 * machines and people, and a store must not take in a snapshot it would
 * then misread. Every error names the file, its line and the field. An
 * export of an earlier pcfarm reads as it meant then: no severity is a
 * failure, no blocks per page is whole-page buffers (see results.ts).
 */
import { BLOCKS_PER_PAGE, DEFAULTS, FAILURE_KINDS, SCENARIOS } from '@pcfarm/core';
import { campaignSpec, cellCount, upgradeSpec, type Campaign } from './campaign.js';
import { FarmError } from './errors.js';
import { contributionShapeWrong, type Contribution } from './guide.js';
import { doneCount, doneRangesOf, DoneSet, type Bucket, type CampaignSnapshot, type DoneRanges, type Example, type Sample } from './results.js';

type Obj = Record<string, unknown>;

/**
 * A snapshot from parsed JSON, checked field by field; `where` says where
 * it came from ("export.jsonl line 2"). EBADRESULTS naming the field when
 * it is not a campaign snapshot.
 */
export function checkSnapshot(value: unknown, where: string): CampaignSnapshot {
  const bad = (path: string, what: string, v: unknown): never => {
    throw new FarmError('EBADRESULTS', `${where}: ${path} must be ${what}, not ${JSON.stringify(v)?.slice(0, 80) ?? 'undefined'}`);
  };
  const obj = (v: unknown, path: string): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : bad(path, 'an object', v));
  const arr = (v: unknown, path: string): unknown[] => (Array.isArray(v) ? v : bad(path, 'a list', v));
  const whole = (v: unknown, path: string): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : bad(path, 'a whole number', v));
  const str = (v: unknown, path: string): string => (typeof v === 'string' && v !== '' ? v : bad(path, 'a non-empty string', v));
  const strs = (v: unknown, path: string): string[] => arr(v, path).map((x, i) => str(x, `${path}[${i}]`));
  const bpp = (v: unknown, path: string): number => (v === undefined ? DEFAULTS.blocksPerPage : BLOCKS_PER_PAGE.includes(v as number) ? (v as number) : bad(path, `one of ${BLOCKS_PER_PAGE.join(', ')}`, v));

  const s = obj(value, 'snapshot');
  const c = obj(s.campaign, 'campaign');
  let spec;
  try {
    spec = campaignSpec(upgradeSpec(obj(c.spec, 'campaign.spec')));
  } catch (e) {
    throw new FarmError('EBADRESULTS', `${where}: campaign.spec: ${(e as Error).message}`);
  }
  const state = c.state;
  if (state !== 'running' && state !== 'stopped' && state !== 'done') bad('campaign.state', 'running, stopped or done', state);
  const id = str(c.id, 'campaign.id');
  if (!/^[\w.-]+$/.test(id)) bad('campaign.id', "letters, digits, '.', '_' or '-'", id);
  const campaign: Campaign = {
    id,
    spec,
    modelVersion: str(c.modelVersion, 'campaign.modelVersion'),
    state: state as Campaign['state'],
    createdAt: whole(c.createdAt, 'campaign.createdAt'),
    runningMs: whole(c.runningMs, 'campaign.runningMs'),
    deal: arr(c.deal ?? [], 'campaign.deal').map((plan, p) => {
      const counts = arr(plan, `campaign.deal[${p}]`).map((n, i) => whole(n, `campaign.deal[${p}][${i}]`));
      if (counts.length !== cellCount(spec)) bad(`campaign.deal[${p}]`, `a count for each of the campaign's ${cellCount(spec)} cells`, counts.length);
      if (counts.every((n) => n === 0)) bad(`campaign.deal[${p}]`, 'a plan of at least one batch', counts);
      return counts;
    }),
  };
  if (spec.steer === null && campaign.deal.length > 0) bad('campaign.deal', 'empty for a campaign that is not steered', campaign.deal.length);
  const examplesMax = spec.examplesPerBucket;
  const buckets: Bucket[] = arr(s.buckets, 'buckets').map((raw, i) => {
    const p = `buckets[${i}]`;
    const b = obj(raw, p);
    if (!FAILURE_KINDS.includes(b.kind as never)) bad(`${p}.kind`, `one of ${FAILURE_KINDS.join(', ')}`, b.kind);
    const severity = b.severity ?? 'failure';
    if (severity !== 'failure' && severity !== 'warning') bad(`${p}.severity`, 'failure or warning', severity);
    const witness = b.witness ?? null;
    if (witness !== null && !SCENARIOS.includes(witness as string)) bad(`${p}.witness`, 'null or a scenario', witness);
    const examples: Example[] = arr(b.examples, `${p}.examples`).map((x, j) => {
      const e = obj(x, `${p}.examples[${j}]`);
      const q = `${p}.examples[${j}]`;
      const example: Example = { seed: whole(e.seed, `${q}.seed`), scenario: str(e.scenario, `${q}.scenario`), blocksPerPage: bpp(e.blocksPerPage, `${q}.blocksPerPage`), batch: whole(e.batch, `${q}.batch`) };
      // A search's example is its run: without its reproducer its seed would replay another.
      if (e.reproducer !== undefined || spec.guide !== null) example.reproducer = str(e.reproducer, `${q}.reproducer`);
      return example;
    });
    if (examples.length > examplesMax) bad(`${p}.examples`, `at most ${examplesMax} examples`, examples.length);
    const m = b.minimized;
    let minimized: Bucket['minimized'] = null;
    if (m !== null) {
      if (severity === 'warning') bad(`${p}.minimized`, 'null for a warning (a warning is never minimized)', m);
      const mo = obj(m, `${p}.minimized`);
      str(mo.reproducer, `${p}.minimized.reproducer`);
      whole(mo.seed, `${p}.minimized.seed`);
      minimized = { ...(mo as unknown as NonNullable<Bucket['minimized']>), blocksPerPage: bpp(mo.blocksPerPage, `${p}.minimized.blocksPerPage`) };
    }
    const blocksPerPage = b.blocksPerPage === undefined ? [DEFAULTS.blocksPerPage] : arr(b.blocksPerPage, `${p}.blocksPerPage`).map((x, j) => bpp(x, `${p}.blocksPerPage[${j}]`));
    return {
      id: str(b.id, `${p}.id`),
      title: str(b.title, `${p}.title`),
      kind: b.kind as Bucket['kind'],
      severity: severity as Bucket['severity'],
      strategy: str(b.strategy, `${p}.strategy`),
      sites: strs(b.sites, `${p}.sites`),
      scenarios: strs(b.scenarios, `${p}.scenarios`),
      blocksPerPage,
      count: whole(b.count, `${p}.count`),
      examples,
      firstSeenAt: whole(b.firstSeenAt, `${p}.firstSeenAt`),
      lastSeenAt: whole(b.lastSeenAt, `${p}.lastSeenAt`),
      minimized,
      witness: witness as string | null,
    };
  });
  if (new Set(buckets.map((b) => b.id)).size !== buckets.length) bad('buckets', 'a list with each bucket id once', buckets.length);
  const samples: Sample[] = arr(s.samples, 'samples').map((raw, i) => {
    const x = obj(raw, `samples[${i}]`);
    const f = (k: keyof Sample) => whole(x[k], `samples[${i}].${k}`);
    return { at: f('at'), runningMs: f('runningMs'), runs: f('runs'), failures: f('failures'), coverage: f('coverage'), buckets: f('buckets') };
  });
  // Ranges [first, last] since version 2 of the results format; a list of indexes before.
  const doneList = arr(s.done, 'done');
  let done: DoneRanges;
  if (doneList.every((x) => typeof x === 'number')) {
    const indexes = doneList.map((x, i) => whole(x, `done[${i}]`));
    if (new Set(indexes).size !== indexes.length) bad('done', 'a list with each batch index once', indexes.length);
    done = doneRangesOf(indexes);
  } else {
    done = doneList.map((x, i) => {
      const r = arr(x, `done[${i}]`);
      const [first, last] = [whole(r[0], `done[${i}][0]`), whole(r[1], `done[${i}][1]`)];
      return r.length === 2 && first <= last ? [first, last] : bad(`done[${i}]`, 'a range [first, last] of batch indexes', x);
    });
    if (DoneSet.of(done).size !== doneCount(done)) bad('done', 'ranges of batch indexes that do not overlap', done.length);
  }
  const coverage = arr(s.coverage, 'coverage').map((x, i) => (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff ? x : bad(`coverage[${i}]`, 'a 32-bit hash', x)));
  const warnings = s.warnings === undefined ? 0 : whole(s.warnings, 'warnings');
  // The singletons (since issue 14): hashes of the coverage, each with its cell; a snapshot without them counts none.
  const covered = new Set(coverage);
  const cells = cellCount(campaign.spec);
  const hashCells = (v: unknown, field: string, not: ReadonlySet<number>): [number, number][] =>
    arr(v, field).map((x, i): [number, number] => {
      const pair = arr(x, `${field}[${i}]`);
      const [h, cell] = [pair[0], pair[1]];
      return pair.length === 2 && typeof h === 'number' && covered.has(h) && !not.has(h) && typeof cell === 'number' && Number.isInteger(cell) && cell >= 0 && cell < cells
        ? [h, cell]
        : bad(`${field}[${i}]`, `a [hash, cell] pair of a hash in coverage${not.size === 0 ? '' : ' and not in coverageOnce'} and a cell below ${cells}`, x);
    });
  const once = s.coverageOnce === undefined ? {} : { coverageOnce: hashCells(s.coverageOnce, 'coverageOnce', new Set()) };
  // The doubletons (since Chao's extrapolation): as the singletons, none of them one; absent where they are not counted.
  const onceHashes = new Set((once.coverageOnce ?? []).map(([h]) => h));
  const twice = s.coverageTwice === undefined ? {} : { coverageTwice: hashCells(s.coverageTwice, 'coverageTwice', onceHashes) };
  // A guided or portfolio campaign's corpus (since issue 14): each cell's contributions, which its next batches start from.
  const corpus =
    s.corpus === undefined
      ? {}
      : {
          corpus: arr(s.corpus, 'corpus').map((x, i): [number, Contribution[]] => {
            const pair = arr(x, `corpus[${i}]`);
            const [cell, list] = [pair[0], pair[1]];
            if (pair.length !== 2 || typeof cell !== 'number' || !Number.isInteger(cell) || cell < 0 || cell >= cells) bad(`corpus[${i}]`, `a [cell, contributions] pair of a cell below ${cells}`, x);
            return [
              cell as number,
              arr(list, `corpus[${i}][1]`).map((c, j) => {
                const wrong = contributionShapeWrong(c);
                return wrong === null ? (c as Contribution) : bad(`corpus[${i}][1][${j}]`, `a contribution (${wrong})`, c);
              }),
            ];
          }),
        };
  if (s.corpus !== undefined && campaign.spec.guide === null) bad('corpus', `absent: campaign ${campaign.id} runs ${campaign.spec.scheduler}, which keeps none`, s.corpus);
  return { campaign, done, runs: whole(s.runs, 'runs'), steps: whole(s.steps, 'steps'), failures: whole(s.failures, 'failures'), warnings, coverage, ...once, ...twice, buckets, samples, ...corpus };
}
