/**
 * What `pcfarm verify` proved or found of a cell, kept beside the campaigns
 * so a campaign's page can say "clean in 2,000,000 seeds; verified to 3
 * preemptions" (issue 13). One record per claim: the cell (strategy, its
 * file's source hash, scenario, blocks per page), the model version, the
 * bound's kind (preemptions or delays), the reclaim actions and generated
 * parameters it was searched with, and whether it is a certificate (clean)
 * or a counterexample (fail). Of one claim a store keeps the strongest: the
 * highest bound certified, the lowest bound that fails. A certificate of
 * another model version, or of another source of the strategy file, says
 * nothing of this one: it is kept, and never shown beside a campaign it
 * does not describe.
 *
 * Stores: a results directory keeps them in its own file,
 * certificates.jsonl, appended by any process under a lock of its own held
 * for one read and one append (not the journal's writer lock), so `pcfarm
 * verify --results DIR` records one while a `pcfarm fuzz` writes the same
 * directory; readers fold it. Redis keeps
 * them in one hash (redis-keys.ts), kept the strongest by a Lua script.
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { groupDigits, PARAM_SCENARIOS } from '@pcfarm/core';
import { cellAt, cellCount, runsByCell, type Campaign } from './campaign.js';
import { isSearchScheduler } from './limits.js';
import { alive } from './pids.js';
import type { Bucket, DoneRanges } from './results.js';
import { FarmError } from './errors.js';
import { checkStrategyFileRef, STRATEGY_ID_PATTERN, type StrategyFileRef } from './strategy-ref.js';

/** A bound's kind: CHESS's preemptions, or delays (every deviation counts). */
export const CERTIFICATE_UNITS = ['preemptions', 'delays'] as const;
export type CertificateUnit = (typeof CERTIFICATE_UNITS)[number];

/** One verify outcome of one cell, as a store keeps it. */
export interface Certificate {
  /** `clean`: every schedule up to `bound` passed; `fail`: a schedule within `bound` failed (and none within a lower one). */
  result: 'clean' | 'fail';
  strategy: string;
  /** The strategy file searched, by reference; null for a built-in strategy. */
  strategyFile: StrategyFileRef | null;
  scenario: string;
  blocksPerPage: number;
  modelVersion: string;
  unit: CertificateUnit;
  /** The highest bound certified (clean), or the bound the counterexample was found at (fail). */
  bound: number;
  /** Iterations of reclaim a schedule could act in, and the largest sum of generated parameters: the search's other limits. */
  reclaimActionsMax: number;
  paramsMax: number;
  /** Schedules run at `bound` (clean: the certified search; fail: up to the counterexample). */
  schedules: number;
  /** Clean: equivalence classes of the certified search, and their hash (verify.ts's formsHash); null for a failure. */
  classes: number | null;
  hash: string | null;
  /** Fail: the failure's signature and the minimized counterexample's reproducer; null for a certificate. */
  signature: string | null;
  reproducer: string | null;
  /** The whole search's time, and when it was recorded (epoch milliseconds). */
  seconds: number;
  at: number;
}

/** What a store keeps of each certificate, at most: a reproducer longer than this is not one pcfarm wrote. */
export const CERTIFICATE_LIMITS = {
  /** Characters of a reproducer (a minimized counterexample's is a few hundred). */
  reproducerLengthMax: 65_536,
  /** Characters of a failure's signature. */
  signatureLengthMax: 1_024,
  /** The highest bound a record may name (verify's --preemptions and --delays allow less). */
  boundMax: 1_000,
} as const;

/** The name of a certificates file in a results directory. */
export const CERTIFICATES_FILE = 'certificates.jsonl';

/** What a claim is about: everything of a certificate but its result, bound and figures. */
export type Claim = Pick<Certificate, 'strategy' | 'strategyFile' | 'scenario' | 'blocksPerPage' | 'modelVersion' | 'unit' | 'reclaimActionsMax' | 'paramsMax'>;

/** A claim as one string: its cell, model, strategy source, bound kind and limits. */
function claimKey(c: Claim): string {
  return [c.modelVersion, c.strategy, c.strategyFile?.sourceHash ?? '-', c.scenario, c.blocksPerPage, c.unit, c.reclaimActionsMax, c.paramsMax].join('|');
}

/** The claim a certificate makes, clean or failing, as one string: records of one key replace each other, the strongest kept. */
export function certificateKey(c: Certificate): string {
  return `${c.result}|${claimKey(c)}`;
}

/**
 * The record of `certificates` that already answers a search of `claim` up
 * to bound `upTo`: a failure at or below it (first), or a certificate at
 * or above it; null when a search would say more.
 */
export function answeredBy(certificates: readonly Certificate[], claim: Claim, upTo: number): Certificate | null {
  const key = claimKey(claim);
  const same = (c: Certificate): boolean => claimKey(c) === key;
  return certificates.find((c) => c.result === 'fail' && c.bound <= upTo && same(c)) ?? certificates.find((c) => c.result === 'clean' && c.bound >= upTo && same(c)) ?? null;
}

/** Whether `next` says more than `kept` of the same claim: a higher bound certified, a lower bound failing. Equal bounds keep the first. */
export function strongerCertificate(kept: Pick<Certificate, 'result' | 'bound'>, next: Pick<Certificate, 'result' | 'bound'>): boolean {
  return next.result === 'clean' ? next.bound > kept.bound : next.bound < kept.bound;
}

/** The strongest record of each claim, in a stable order (cell, then kind, then limits). */
export function foldCertificates(records: Iterable<Certificate>): Certificate[] {
  const kept = new Map<string, Certificate>();
  for (const c of records) {
    const key = certificateKey(c);
    const before = kept.get(key);
    if (before === undefined || strongerCertificate(before, c)) kept.set(key, c);
  }
  return [...kept.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
}

/** A certificate from untrusted data (a file, Redis, a request), or `bad(reason)`. */
export function checkCertificate(v: unknown, bad: (m: string) => never): Certificate {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`a certificate is an object, not ${JSON.stringify(v)}`);
  const r = v as Record<string, unknown>;
  const whole = (name: string, max = Number.MAX_SAFE_INTEGER): number => {
    const n = r[name];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > max) bad(`${name} must be a whole number from 0 to ${max}, not ${JSON.stringify(n)}`);
    return n as number;
  };
  const text = (name: string, max: number, nullable: boolean): string | null => {
    const s = r[name];
    if (s === null && nullable) return null;
    if (typeof s !== 'string' || s.length === 0 || s.length > max) bad(`${name} must be a non-empty string of at most ${max} characters${nullable ? ', or null' : ''}`);
    return s as string;
  };
  if (r.result !== 'clean' && r.result !== 'fail') bad(`result must be "clean" or "fail", not ${JSON.stringify(r.result)}`);
  if (typeof r.strategy !== 'string' || !STRATEGY_ID_PATTERN.test(r.strategy)) bad(`strategy ${JSON.stringify(r.strategy)} is not a strategy id`);
  const strategyFile = r.strategyFile === null ? null : checkStrategyFileRef(r.strategyFile, bad);
  if (strategyFile !== null && strategyFile.id !== r.strategy) bad(`the strategy file ${strategyFile.id} is not strategy ${String(r.strategy)}'s`);
  if (!CERTIFICATE_UNITS.includes(r.unit as CertificateUnit)) bad(`unit must be one of ${CERTIFICATE_UNITS.join(', ')}, not ${JSON.stringify(r.unit)}`);
  if (typeof r.seconds !== 'number' || !Number.isFinite(r.seconds) || r.seconds < 0) bad(`seconds must be a number of at least 0, not ${JSON.stringify(r.seconds)}`);
  const clean = r.result === 'clean';
  const classes = clean ? whole('classes') : null;
  const hash = clean ? text('hash', 16, false) : null;
  if (!clean && (r.classes !== null || r.hash !== null)) bad('a failure has no classes or hash: they are null');
  if (hash !== null && !/^[0-9a-f]{8}$/.test(hash)) bad(`hash must be 8 hex digits, not ${JSON.stringify(hash)}`);
  const signature = clean ? null : text('signature', CERTIFICATE_LIMITS.signatureLengthMax, false);
  const reproducer = clean ? null : text('reproducer', CERTIFICATE_LIMITS.reproducerLengthMax, false);
  if (clean && (r.signature !== null || r.reproducer !== null)) bad('a certificate has no signature or reproducer: they are null');
  return {
    result: r.result as Certificate['result'],
    strategy: r.strategy as string,
    strategyFile,
    scenario: text('scenario', 64, false)!,
    blocksPerPage: whole('blocksPerPage', 64),
    modelVersion: text('modelVersion', 64, false)!,
    unit: r.unit as CertificateUnit,
    bound: whole('bound', CERTIFICATE_LIMITS.boundMax),
    reclaimActionsMax: whole('reclaimActionsMax', CERTIFICATE_LIMITS.boundMax),
    paramsMax: whole('paramsMax', CERTIFICATE_LIMITS.boundMax),
    schedules: whole('schedules'),
    classes,
    hash,
    signature,
    reproducer,
    seconds: r.seconds as number,
    at: whole('at'),
  };
}

/** A certificate as one line of JSON, its fields in Certificate's order (what the file and Redis keep). */
export function certificateJson(c: Certificate): string {
  const { result, strategy, strategyFile, scenario, blocksPerPage, modelVersion, unit, bound, reclaimActionsMax, paramsMax, schedules, classes, hash, signature, reproducer, seconds, at } = c;
  return JSON.stringify({ result, strategy, strategyFile, scenario, blocksPerPage, modelVersion, unit, bound, reclaimActionsMax, paramsMax, schedules, classes, hash, signature, reproducer, seconds, at });
}

/** The lock an appender of a certificates file holds while it reads, mends and appends: its pid. */
export const CERTIFICATES_LOCK_FILE = 'certificates.lock';

/** How long an appender waits for another's lock before it gives up (they hold it for one read and one append). */
export const CERTIFICATES_LOCK_WAIT_MS = 5_000;

/**
 * Run `append` holding results directory `dir`'s certificates lock (made
 * when missing), so that no other appender is halfway through a line when
 * this one reads the file's end or cuts a line a crash left short. A lock
 * whose process is gone is taken over; one held past
 * CERTIFICATES_LOCK_WAIT_MS is an ELOCKED naming its holder.
 */
function withAppendLock<T>(dir: string, append: () => T): T {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, CERTIFICATES_LOCK_FILE);
  const deadline = Date.now() + CERTIFICATES_LOCK_WAIT_MS;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(lock, 'utf8'));
    } catch {
      // Released between the two calls: try again.
    }
    // An empty file is one just made whose pid is not written yet: its holder lives.
    if (Number.isSafeInteger(holder) && holder > 0 && !alive(holder)) rmSync(lock, { force: true });
    else if (Date.now() > deadline) throw new FarmError('ELOCKED', `${lock} is held by process ${holder}: another pcfarm is recording a certificate, or stopped while it did; remove the file if no pcfarm runs`);
    else Atomics.wait(LOCK_NAP, 0, 0, 5);
  }
  try {
    return append();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** What a waiting appender sleeps on (never woken: the wait is its timeout). */
const LOCK_NAP = new Int32Array(new SharedArrayBuffer(4));

/**
 * Add `c` to the certificates file of results directory `dir` (made when
 * missing), one line in one write, holding the appenders' lock. A last
 * line without its newline (a write a crash cut short) is cut off first,
 * so the next line starts whole.
 */
export function appendCertificate(dir: string, c: Certificate): void {
  withAppendLock(dir, () => appendLocked(dir, c));
}

function appendLocked(dir: string, c: Certificate): void {
  const file = join(dir, CERTIFICATES_FILE);
  const fd = openSync(file, 'a+');
  try {
    const size = fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) truncateSync(file, lastNewlineEnd(readFileSync(file)));
    }
    appendFileSync(fd, `${certificateJson(c)}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Keep `c` in results directory `dir` when it says more than what is kept
 * of the same claim there; whether it did. The read and the append hold
 * the appenders' lock, so two processes recording at once decide in turn.
 */
export function recordCertificateIn(dir: string, c: Certificate): boolean {
  return withAppendLock(dir, () => {
    const key = certificateKey(c);
    const kept = readCertificates(dir).find((k) => certificateKey(k) === key);
    if (kept !== undefined && !strongerCertificate(kept, c)) return false;
    appendLocked(dir, c);
    return true;
  });
}

/** The length of `bytes` up to and with its last newline (0 without one). */
function lastNewlineEnd(bytes: Buffer): number {
  return bytes.lastIndexOf(0x0a) + 1;
}

/**
 * The certificates of results directory `dir`, folded (the strongest of each
 * claim); none when it has no file. A line that does not read as a
 * certificate is an EBADRESULTS naming the file and line; a last line
 * without its newline is a write still going on or cut short, not read.
 */
export function readCertificates(dir: string): Certificate[] {
  const file = join(dir, CERTIFICATES_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
  lines.pop();
  return foldCertificates(lines.map((line, i) => parseCertificate(line, `${file}:${i + 1}`, '; the file is left as it is')));
}

/** A certificate from the JSON a store kept; EBADRESULTS naming `where` (and ending with `after`) when it is not one. */
export function parseCertificate(json: string, where: string, after = ''): Certificate {
  const bad = (m: string): never => {
    throw new FarmError('EBADRESULTS', `${where}: ${m}${after}`);
  };
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    bad('not JSON');
  }
  return checkCertificate(v, bad);
}

/**
 * The certificates that describe each cell of `campaign` (cellAt's order):
 * of its model version, and of the very strategy file it runs (by source
 * hash) or the built-in strategy. Certificates first, each cell's by kind.
 */
export function campaignCertificates(campaign: Pick<Campaign, 'spec' | 'modelVersion'>, certificates: readonly Certificate[]): Certificate[][] {
  const spec = campaign.spec;
  const byCell: Certificate[][] = Array.from({ length: cellCount(spec) }, () => []);
  const cells = new Map<string, number>();
  for (let i = 0; i < byCell.length; i++) {
    const { strategy, scenario, blocksPerPage } = cellAt(spec, i);
    const source = spec.strategyFiles.find((f) => f.id === strategy)?.sourceHash ?? '-';
    cells.set([strategy, source, scenario, blocksPerPage].join('|'), i);
  }
  for (const c of certificates) {
    if (c.modelVersion !== campaign.modelVersion) continue;
    const i = cells.get([c.strategy, c.strategyFile?.sourceHash ?? '-', c.scenario, c.blocksPerPage].join('|'));
    if (i !== undefined) byCell[i]!.push(c);
  }
  for (const list of byCell) list.sort((a, b) => (a.result === b.result ? 0 : a.result === 'clean' ? -1 : 1) || (a.unit === b.unit ? 0 : a.unit === 'preemptions' ? -1 : 1) || b.bound - a.bound || a.reclaimActionsMax - b.reclaimActionsMax);
  return byCell;
}

/** `k` of a bound's kind in words: "1 preemption", "2 delays". */
export function boundWords(k: number, unit: CertificateUnit): string {
  return `${k} ${k === 1 ? unit.slice(0, -1) : unit}`;
}

/**
 * A certificate in words: "verified to 3 preemptions (reclaim actions <= 1)",
 * "fails at 1 preemption (reclaim actions <= 2)". The parameter bound is
 * said wherever it limited what was explored: always for a scenario that
 * draws its programs (at 0, only the smallest program was verified).
 */
export function certificateText(c: Certificate): string {
  const limits = `reclaim actions <= ${c.reclaimActionsMax}${c.paramsMax === 0 && !PARAM_SCENARIOS.includes(c.scenario) ? '' : `, generated parameters <= ${c.paramsMax}`}`;
  return `${c.result === 'clean' ? 'verified to' : 'fails at'} ${boundWords(c.bound, c.unit)} (${limits})`;
}

/** One cell of a campaign: what its fuzzing and verify say of it. */
export interface CellEvidence {
  strategy: string;
  scenario: string;
  blocksPerPage: number;
  /** Its runs in the batches recorded. */
  runs: number;
  /**
   * Failure buckets of its strategy seen in its scenario and at its blocks
   * per page (a bucket keeps those as two lists, so one seen in (a, 1) and
   * (b, 4) counts for (a, 4) too): none, and every run of the cell passed;
   * the count errs toward failing, never toward clean.
   */
  failureBuckets: number;
  /** What verify proved or found of it (campaignCertificates). */
  certificates: Certificate[];
}

/** Each cell of `campaign` (cellAt's order): its runs, its failure buckets and its certificates. */
export function cellEvidence(campaign: Pick<Campaign, 'spec' | 'deal' | 'modelVersion'>, done: DoneRanges, buckets: readonly Bucket[], certificates: readonly Certificate[]): CellEvidence[] {
  const runs = runsByCell(campaign, done);
  const certified = campaignCertificates(campaign, certificates);
  const failing = buckets.filter((b) => b.severity === 'failure');
  return runs.map((n, i) => {
    const { strategy, scenario, blocksPerPage } = cellAt(campaign.spec, i);
    const failureBuckets = failing.filter((b) => b.strategy === strategy && b.scenarios.includes(scenario) && b.blocksPerPage.includes(blocksPerPage)).length;
    return { strategy, scenario, blocksPerPage, runs: n, failureBuckets, certificates: certified[i]! };
  });
}

/** A cell's evidence in words: "clean in 2,000,000 seeds; verified to 3 preemptions (reclaim actions <= 1)". */
export function evidenceText(e: CellEvidence, scheduler: string): string {
  const what = isSearchScheduler(scheduler) ? 'runs' : 'seeds';
  const fuzzed = e.failureBuckets > 0 ? `${e.failureBuckets} failure bucket${e.failureBuckets === 1 ? '' : 's'} in ${groupDigits(e.runs)} ${what}` : `clean in ${groupDigits(e.runs)} ${what}`;
  return [fuzzed, ...e.certificates.map(certificateText)].join('; ');
}
