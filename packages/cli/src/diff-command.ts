/**
 * `pcfarm diff A B` (what changed between two campaigns, and with --retest
 * which of A's failures B fixed) and `pcfarm export-test BUCKET` (a bucket as
 * a regression test for the user's own repository).
 *
 * A retest runs the model through the farm package (diffCampaigns,
 * retestBuckets) with strategy files loaded by the farm package's own loader:
 * the farm runs on its own copy of the core, and a strategy must be built
 * against the API of the core whose Model runs it. (The commands that run
 * the model here use the loader inlined with the CLI's core instead.)
 */
import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  diffCampaigns,
  loadStrategyFiles,
  regressionTest,
  retestBuckets,
  strategyResolver,
  type Bucket,
  type BucketDiff,
  type Campaign,
  type CampaignSnapshot,
  type DiffSide,
  type FileStrategies,
  type Retest,
  type Store,
  type StrategyFileRef,
} from '@pcfarm/farm/local';
import { checkOptions, InputError, UsageError, type Parsed } from './args.js';
import { EXIT } from './exit.js';
import { n, plural } from './format.js';
import type { Io } from './io.js';
import { openStore, sayRepairs, type OpenedStore } from './open-store.js';
import { printedPath, strategyFilePaths } from './strategy-files.js';
import { OPTIONS } from './usage.js';

/** The checkout this pcfarm runs from (the bundle is packages/cli/dist/): what an exported test imports pcfarm from. */
const PCFARM_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Decimal places of a rate printed as a percentage. */
const RATE_PERCENT_DIGITS = 2;

async function withStore<T>(p: Parsed, io: Io, run: (opened: OpenedStore) => Promise<T>): Promise<T> {
  // Read only: a diff or an export may run beside the fuzz that writes the directory.
  const opened = await openStore(p, { fallback: 'results', access: 'read' });
  sayRepairs(io, opened);
  try {
    return await run(opened);
  } finally {
    await opened.store.close();
  }
}

const side = (s: DiffSide, label: string): string => `${label}: ${n(s.count)} of ${plural(s.runs, 'run')} (${(100 * s.rate).toFixed(RATE_PERCENT_DIGITS)}%)`;

/** A matched bucket as two lines: its title, then its counts on each side it is on and its bucket id(s). */
function bucketLines(d: BucketDiff): string[] {
  const s = (d.b ?? d.a)!;
  const warning = d.severity === 'warning' ? ' (a warning)' : '';
  const counts = [d.a === null ? null : side(d.a, 'A'), d.b === null ? null : side(d.b, 'B')].filter((x) => x !== null).join(', ');
  const ids = [...new Set([d.a?.bucketId, d.b?.bucketId].filter((x) => x !== undefined))].join(', ');
  return [`  ${s.title}${warning}`, `    ${counts}; bucket ${ids}`];
}

/** A retest's line: its verdict, the bucket, and what the re-runs did. */
function retestLine(r: Retest): string {
  const others = Object.entries(r.outcomes)
    .map(([k, c]) => `${k} ${c}`)
    .join(', ');
  const how = r.verdict === 'fixed' ? `${plural(r.runs, 're-run')} against ${r.against}: ${others}` : `reproduced by the ${r.by} against ${r.against}${others === '' ? '' : `; the other re-runs: ${others}`}`;
  return `  ${r.verdict === 'fixed' ? 'fixed        ' : 'still failing'}  ${r.title}\n                 ${how}; bucket ${r.bucketId}`;
}

/**
 * The strategies of B's strategy files, for a retest: a --strategy-file
 * given of the source B recorded, else the file at the path B recorded if
 * its source is still that. Each file a retest needs is found before any is
 * run, or the diff stops with a line naming it.
 */
function filesOfB(p: Parsed, b: CampaignSnapshot, needed: readonly string[], notes: string[]): FileStrategies {
  const given = loadStrategyFiles(strategyFilePaths(p));
  const atRecordedPath = strategyResolver([]);
  const refs = b.campaign.spec.strategyFiles;
  for (const f of given) {
    if (!refs.some((r) => r.sourceHash === f.sourceHash && r.id === f.id)) notes.push(`--strategy-file ${printedPath(f.path)} (${f.id}, source ${f.sourceHash}) is not a file campaign ${b.campaign.id} ran: not used`);
  }
  const find: FileStrategies = (ref: StrategyFileRef) => given.find((f) => f.sourceHash === ref.sourceHash && f.id === ref.id)?.strategy ?? atRecordedPath(ref);
  for (const ref of refs.filter((r) => needed.includes(r.id))) {
    try {
      find(ref);
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOSTRATEGYFILE') throw e;
      throw new InputError(`--retest needs B's strategy file ${ref.id} (source ${ref.sourceHash}), and ${ref.path} is missing or changed since: give that source with --strategy-file PATH, or diff without --retest`);
    }
  }
  return find;
}

/** Notes on strategies both campaigns name by one id but ran from different sources: an edited file. */
function editedNotes(a: CampaignSnapshot, b: CampaignSnapshot): string[] {
  const notes: string[] = [];
  for (const ra of a.campaign.spec.strategyFiles) {
    const rb = b.campaign.spec.strategyFiles.find((r) => r.id === ra.id);
    if (rb !== undefined && rb.sourceHash !== ra.sourceHash) notes.push(`strategy ${ra.id}: A ran ${basename(ra.path)} at source ${ra.sourceHash}, B ${basename(rb.path)} at source ${rb.sourceHash}`);
  }
  return notes;
}

/**
 * pcfarm diff A B: what B found that A did not, what it no longer finds,
 * and what it finds more or less often; with --retest, each failure bucket
 * of A re-run against B. Exit 1 when B has a new failure bucket or a retest
 * still fails, 0 otherwise.
 */
export async function diffCommand(p: Parsed, io: Io): Promise<number> {
  checkOptions(p, OPTIONS.diff);
  if (p.positionals.length !== 2) throw new UsageError(`'diff' takes two campaign ids, A and B, not ${p.positionals.length === 0 ? 'none' : p.positionals.join(' ')}`);
  const [idA, idB] = p.positionals as [string, string];
  // As the dashboard's compare refuses it (ESAMECAMPAIGN): a campaign against itself says nothing, and an empty table reads as "no change".
  if (idA === idB) throw new UsageError(`A and B are both campaign ${idA}: compare two campaigns (A the earlier, B the later)`);
  const retest = p.options.has('retest');
  if (!retest && strategyFilePaths(p).length > 0) throw new UsageError('--strategy-file goes with --retest: only a retest runs B\'s strategies');
  return withStore(p, io, async (opened) => {
    const a = await opened.store.snapshot(idA);
    const b = await opened.store.snapshot(idB);
    const d = diffCampaigns(a, b);
    const notes = [...editedNotes(a, b), ...d.notes];
    const retests = retest ? retestBuckets(a, b, d.pairs, filesOfB(p, b, d.pairs.map(([, y]) => y), notes)) : null;
    const fresh = d.buckets.filter((x) => x.change === 'new');
    const still = retests?.filter((r) => r.verdict === 'still-failing') ?? [];
    const status = fresh.some((x) => x.severity === 'failure') || still.length > 0 ? EXIT.found : EXIT.ok;
    if (p.options.has('json')) {
      io.out(JSON.stringify({ ...d, notes, retested: retests !== null, retests: retests ?? [] }, null, 2));
      return status;
    }
    io.out(`A: campaign ${a.campaign.id} (${a.campaign.spec.name}), ${a.campaign.state}`);
    io.out(`B: campaign ${b.campaign.id} (${b.campaign.spec.name}), ${b.campaign.state}`);
    for (const note of notes) io.out(`note: ${note}`);
    const section = (title: string, list: readonly BucketDiff[]): void => {
      io.out('');
      io.out(`${title}: ${list.length === 0 ? 'none' : list.length}`);
      for (const x of list) for (const line of bucketLines(x)) io.out(line);
    };
    section('new in B', fresh);
    section('gone from B', d.buckets.filter((x) => x.change === 'gone'));
    section('changed in rate', d.buckets.filter((x) => x.change === 'more' || x.change === 'fewer'));
    const same = d.buckets.filter((x) => x.change === 'same').length;
    if (same > 0) io.out(`(${plural(same, 'bucket')} of both at about the same rate)`);
    if (retests !== null) {
      io.out('');
      io.out(`retest of A's ${plural(retests.length, 'failure bucket')} against B:${retests.length === 0 ? ' none to retest' : ''}`);
      for (const r of retests) io.out(retestLine(r));
    }
    io.out('');
    const newFailures = fresh.filter((x) => x.severity === 'failure').length;
    const verdict = [`${plural(newFailures, 'new failure bucket')} in B`];
    if (retests !== null) verdict.push(`${n(retests.length - still.length)} of A's ${plural(retests.length, 'failure bucket')} fixed, ${n(still.length)} still failing`);
    io.out(verdict.join('; '));
    return status;
  });
}

/** The campaign holding bucket `id`: --campaign's, or the only one that has it. */
async function bucketOf(store: Store, id: string, campaignId: string | undefined, where: string): Promise<{ campaign: Campaign; bucket: Bucket }> {
  if (campaignId !== undefined) {
    const campaign = await store.getCampaign(campaignId);
    const bucket = (await store.buckets(campaignId)).find((b) => b.id === id);
    if (bucket === undefined) throw new InputError(`campaign ${campaignId} has no bucket ${id}`);
    return { campaign, bucket };
  }
  const found: { campaign: Campaign; bucket: Bucket }[] = [];
  // Oldest first, as they were run.
  for (const campaign of (await store.listCampaigns()).sort((x, y) => x.createdAt - y.createdAt)) {
    const bucket = (await store.buckets(campaign.id)).find((b) => b.id === id);
    if (bucket !== undefined) found.push({ campaign, bucket });
  }
  if (found.length === 0) throw new InputError(`no campaign in ${where} has a bucket ${id}`);
  if (found.length > 1) throw new InputError(`bucket ${id} is in ${found.length} campaigns: ${found.map((f) => `${f.campaign.id} (${f.campaign.spec.name})`).join(', ')}; say which with --campaign ID`);
  return found[0]!;
}

/** pcfarm export-test BUCKET: write the bucket's regression test, never over a file. */
export async function exportTestCommand(p: Parsed, io: Io): Promise<number> {
  checkOptions(p, OPTIONS.exportTest);
  if (p.positionals.length !== 1) throw new UsageError(`'export-test' takes one bucket id, not ${p.positionals.length === 0 ? 'none' : p.positionals.join(' ')}`);
  const id = p.positionals[0]!;
  const fixed = p.options.has('fixed');
  const out = resolve(p.options.get('out') ?? `pcfarm-${id}.test.ts`);
  return withStore(p, io, async (opened) => {
    const { campaign, bucket } = await bucketOf(opened.store, id, p.options.get('campaign'), opened.dir ?? opened.where);
    const text = regressionTest({ campaign, bucket, fixed, testPath: out, pcfarmRoot: PCFARM_ROOT });
    try {
      writeFileSync(out, text, { flag: 'wx' });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new InputError(`${out} exists: 'export-test' never overwrites a file; give another --out PATH`);
      throw new InputError(`--out: cannot write ${out}: ${code ?? (e as Error).message}`);
    }
    io.out(`wrote ${printedPath(out)}: a vitest test that ${fixed ? 'fails while' : 'passes while'} bucket ${bucket.id} of campaign ${campaign.id} reproduces:`);
    io.out(`  ${bucket.title}`);
    io.out(`  it imports pcfarm from ${PCFARM_ROOT.replace(/\/$/, '')}; keep it with your repository's tests`);
    return EXIT.ok;
  });
}
