/**
 * The embedded store: campaigns and results in memory, every change
 * appended to one journal file under the results directory as a line of
 * JSON. Appends are synchronous, so when recordBatch returns the batch
 * survives a kill of the process; reopening replays the journal. A journal
 * that does not parse is an EBADRESULTS naming the file and line, and the
 * file is left exactly as it was. A journal an earlier pcfarm wrote reads
 * as it meant then (see the upgrade functions of results.ts).
 *
 * Storage grows with what was found, not with what was run. A batch's
 * record keeps only the coverage hashes that are new to the campaign, and
 * the journal is compacted: when the records appended since the last
 * compaction outgrow JOURNAL_LIMITS, the whole state is written as one
 * snapshot record per campaign (its done set as ranges, its coverage once,
 * as the gaps between its sorted hashes) to a file beside the journal,
 * which then replaces it by a rename. A kill before the rename leaves the
 * old journal whole (the file beside it is removed on the next open);
 * after it, the new one is whole: either way each batch is counted once or
 * not at all. A writer opening a journal compacts it too when its tail is
 * due (or it is of an earlier version), so whatever the campaign's age a
 * resume reads its snapshots and a tail of at most JOURNAL_LIMITS.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BatchResult } from './batch.js';
import { newCampaign, upgradeCampaign, type Campaign, type CampaignSpec, type CampaignState } from './campaign.js';
import { readCertificates, recordCertificateIn, type Certificate } from './certificates.js';
import { FarmError } from './errors.js';
import { alive } from './pids.js';
import type { Contribution, Guide } from './guide.js';
import type { Minimized } from './minimize-job.js';
import { CampaignResults, decodeCoverage, encodeCoverage, ofLowestExample, upgradeBatchResult, upgradeMinimized, type Bucket, type CampaignSnapshot, type CampaignSummary, type DoneRanges, type RecordOutcome, type Sample } from './results.js';
import { WORKER_SILENT_MS, type Store, type WorkerInfo } from './store.js';

/** The journal's name under a results directory. */
export const RESULTS_FILE = 'results.jsonl';
/** The lock a writer holds beside it: the writer's pid. */
export const LOCK_FILE = 'results.lock';
/** Where a compaction writes the new journal before it renames it over the old one. */
export const COMPACT_FILE = 'results.jsonl.compact.tmp';
/**
 * Its first line. Version 3 adds `plan` records (a steered campaign's deal
 * of batches to cells): a pcfarm of version 2 would call such a line
 * corrupt, and with the header it names the version it cannot read instead. Version 2 keeps a snapshot's
 * done set as ranges and a batch's coverage as the hashes new to its
 * campaign; versions 1 (a list of indexes, a batch's whole coverage) and 2
 * still read, and a writer upgrades them on open.
 */
export const RESULTS_FORMAT = { format: 'pcfarm-results', version: 3 } as const;
/** The format versions this pcfarm reads. */
export const RESULTS_VERSIONS_READ: readonly number[] = [1, 2, 3];

/** What is wrong with a results file or export of a version this pcfarm cannot read. */
export function unreadableVersion(version: unknown): string {
  return `format version ${JSON.stringify(version)}; this pcfarm reads versions ${RESULTS_VERSIONS_READ.slice(0, -1).join(', ')} and ${RESULTS_VERSIONS_READ.at(-1)}`;
}

/**
 * When a writer compacts its journal: when the bytes appended since the
 * last compaction pass both tailBytesMin and tailPerCompacted times the
 * compacted journal's size. The journal then stays under about
 * (1 + tailPerCompacted) x its state + tailBytesMin, and each byte of state
 * is rewritten about once per tailPerCompacted x its size appended.
 */
export const JOURNAL_LIMITS = {
  /** Bytes of records appended since the last compaction before the next, at least. */
  tailBytesMin: 4_000_000,
  /** Bytes appended per byte of the compacted journal before the next compaction, at least. */
  tailPerCompacted: 1,
} as const;

/** One journal line after the header. */
export type JournalEntry =
  | { type: 'campaign'; campaign: Campaign }
  | { type: 'state'; id: string; state: CampaignState; runningMs: number }
  | { type: 'batch'; at: number; runningMs: number; result: BatchResult }
  | { type: 'minimized'; id: string; bucket: string; minimized: Minimized }
  | { type: 'delete'; id: string }
  /** A steered campaign's plan number `plan` (Campaign.deal). */
  | { type: 'plan'; id: string; plan: number; counts: number[] }
  /** An import, or a compaction's: then its coverage is `coverage` (encodeCoverage), and the snapshot's list is empty. */
  | { type: 'snapshot'; snapshot: CampaignSnapshot; coverage?: string };

export interface EmbeddedStoreOptions {
  /** Only read: another process writes the journal; each query first reads what it appended. */
  readOnly?: boolean;
  /** Epoch-millisecond clock; tests pass their own. */
  now?: () => number;
  /** Bytes appended since the last compaction before the next, at least; default JOURNAL_LIMITS.tailBytesMin (tests pass less). */
  compactTailBytesMin?: number;
}

export class EmbeddedStore implements Store {
  readonly kind = 'embedded';
  readonly file: string;
  private readonly lockFile: string;
  private locked = false;
  /** What opening had to repair (a last line cut short, set aside), or, read-only, what it left unread. */
  readonly repairs: string[] = [];
  private readonly campaigns = new Map<string, CampaignResults>();
  private readonly workerInfo = new Map<string, WorkerInfo>();
  private readonly readOnly: boolean;
  private readonly now: () => number;
  private readonly compactTailBytesMin: number;
  /** Bytes of the journal already applied (read-only mode follows the writer from here). */
  private offset = 0;
  private line = 0;
  /** The journal's first line as read, and its file's inode: a reader that finds either changed reads the compacted file from its start. */
  private header = '';
  private ino = 0;
  private version = 0;
  /** Records other than snapshots read since the header: a journal with none is compact already. */
  private uncompacted = 0;
  /** The journal's size after the last compaction: on opening, its header and the snapshot records that lead it. */
  private compactedBytes = 0;
  /** Compactions this process made. */
  compactions = 0;

  private constructor(dir: string, options: EmbeddedStoreOptions) {
    this.file = join(dir, RESULTS_FILE);
    this.lockFile = join(dir, LOCK_FILE);
    this.readOnly = options.readOnly ?? false;
    this.now = options.now ?? Date.now;
    this.compactTailBytesMin = options.compactTailBytesMin ?? JOURNAL_LIMITS.tailBytesMin;
  }

  /**
   * Open (or, unless read-only, create) the store of a results directory.
   * EBADRESULTS when its journal is not one; ELOCKED when another live
   * process has it open for writing (two writers would interleave lines).
   */
  static open(dir: string, options: EmbeddedStoreOptions = {}): EmbeddedStore {
    const s = new EmbeddedStore(dir, options);
    if (!existsSync(s.file)) {
      if (s.readOnly) throw new FarmError('EBADRESULTS', `${s.file} does not exist: no campaign has been run with this results directory`);
      mkdirSync(dir, { recursive: true });
      appendFileSync(s.file, `${headerLine()}\n`);
    }
    if (!s.readOnly) s.lock();
    try {
      if (!s.readOnly && existsSync(join(dir, COMPACT_FILE))) {
        // A kill during a compaction, before its rename: the journal is whole, the new file is not.
        rmSync(join(dir, COMPACT_FILE), { force: true });
        s.repairs.push(`removed ${COMPACT_FILE}, a compaction a kill cut short (the journal beside it is whole)`);
      }
      s.follow(true);
      // An earlier version's journal is rewritten in this one; a long tail is folded, so the next open reads little.
      if (!s.readOnly && s.version !== RESULTS_FORMAT.version) s.compact();
      else if (!s.readOnly) s.compactIfDue();
    } catch (e) {
      s.unlock();
      throw e;
    }
    return s;
  }

  /** The journal's size in bytes, as far as this store has read or written it. */
  get bytes(): number {
    return this.offset;
  }

  /**
   * Rewrite the journal as its state: the header and one snapshot record
   * per campaign, written beside it, flushed, and renamed over it. The
   * records folded into the snapshots are exactly those applied, so the
   * compacted journal opens to the same campaigns.
   */
  compact(): void {
    if (this.readOnly) throw new FarmError('ESTATE', `${this.file} is open read-only: only the process that writes it compacts it`);
    const lines = this.compacted();
    const text = `${lines.join('\n')}\n`;
    const tmp = join(dirname(this.file), COMPACT_FILE);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, text);
      // On disk before the rename: a crash after it must not find an empty journal.
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    this.offset = Buffer.byteLength(text);
    this.line = lines.length;
    this.header = lines[0]!;
    this.version = RESULTS_FORMAT.version;
    this.uncompacted = 0;
    this.compactedBytes = this.offset;
    this.compactions++;
  }

  /** The lines a compaction writes: a new header, and a snapshot per campaign, oldest first. */
  private compacted(): string[] {
    const lines = [headerLine()];
    for (const r of [...this.campaigns.values()].sort((a, b) => a.campaign.createdAt - b.campaign.createdAt)) {
      lines.push(JSON.stringify({ type: 'snapshot', snapshot: r.snapshot(false), coverage: encodeCoverage(r.coverage.sorted()) } satisfies JournalEntry));
    }
    return lines;
  }

  /** The bytes the journal would take compacted now: its state, without the records a compaction folds. */
  stateBytes(): number {
    if (this.readOnly) this.follow(false);
    return Buffer.byteLength(`${this.compacted().join('\n')}\n`);
  }

  /** Compact when the records appended since the last compaction outgrow JOURNAL_LIMITS. */
  private compactIfDue(): void {
    const tail = this.offset - this.compactedBytes;
    if (tail >= this.compactTailBytesMin && tail >= JOURNAL_LIMITS.tailPerCompacted * this.compactedBytes) this.compact();
  }

  /** Take the writer's lock; a lock whose process is gone (killed) is taken over. */
  private lock(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.lockFile, String(process.pid), { flag: 'wx' });
        this.locked = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const pid = Number(readFileSync(this.lockFile, 'utf8'));
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new FarmError('ELOCKED', `${this.file} is open for writing by process ${pid}: stop it, or open the directory read-only`);
      }
      rmSync(this.lockFile, { force: true });
    }
    throw new FarmError('ELOCKED', `${this.file}: could not take ${this.lockFile}`);
  }

  private unlock(): void {
    if (!this.locked) return;
    this.locked = false;
    rmSync(this.lockFile, { force: true });
  }

  /** Apply what the journal gained since the last read. */
  private follow(opening: boolean): void {
    const fd = openSync(this.file, 'r');
    let text: string;
    try {
      const stat = fstatSync(fd);
      if (this.offset > 0 && (stat.ino !== this.ino || !this.sameHeader(fd))) {
        // The writer compacted the journal into a new file since the last read: read that one whole.
        this.campaigns.clear();
        this.offset = 0;
        this.line = 0;
        this.uncompacted = 0;
        this.compactedBytes = 0;
      }
      this.ino = stat.ino;
      const size = stat.size;
      if (size === this.offset) return;
      if (size < this.offset) throw new FarmError('EBADRESULTS', `${this.file} shrank while it was open: another program changed it`);
      const buf = Buffer.alloc(size - this.offset);
      readSync(fd, buf, 0, buf.length, this.offset);
      text = buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
    const end = text.lastIndexOf('\n') + 1;
    const tail = text.slice(end);
    if (tail !== '' && opening && this.readOnly) {
      this.repairs.push(`the last line of ${this.file} is unfinished (${tail.length} characters) and was not read; the next pcfarm that writes here sets it aside`);
    } else if (tail !== '' && opening) {
      // A kill during an append leaves a last line without its newline; that record never counted.
      let torn = true;
      try {
        JSON.parse(tail);
        torn = false;
      } catch {
        /* torn, as expected */
      }
      if (!torn) throw this.corrupt(this.line + text.slice(0, end).split('\n').length, 'the last line has no newline after it');
      // Set aside, not thrown away: a kill's torn append never counted, but a line damaged some other way (a copy cut short,
      // a disk) may be a whole campaign's snapshot, which its bytes let someone mend. Named by its offset: no clock.
      const kept = `${this.file}.torn-${this.offset + Buffer.byteLength(text.slice(0, end))}`;
      writeFileSync(kept, tail);
      truncateSync(this.file, this.offset + Buffer.byteLength(text.slice(0, end)));
      this.repairs.push(`set aside an unfinished last line (${tail.length} characters) in ${kept}: a kill during an append leaves one, which never counted; if nothing was killed, the line was damaged, and those are its bytes`);
    }
    for (const raw of text.slice(0, end).split('\n')) {
      if (raw === '' && this.line > 0) continue;
      this.line++;
      let entry: unknown;
      try {
        entry = JSON.parse(raw);
      } catch {
        throw this.corrupt(this.line, 'it is not JSON');
      }
      if (this.line === 1) {
        const h = entry as { format?: unknown; version?: unknown };
        if (h?.format !== RESULTS_FORMAT.format) throw this.corrupt(1, `it is not a pcfarm results file (no ${JSON.stringify({ format: RESULTS_FORMAT.format })} header)`);
        if (!RESULTS_VERSIONS_READ.includes(h.version as number)) throw this.corrupt(1, `it has ${unreadableVersion(h.version)}`);
        this.header = raw;
        this.version = h.version as number;
        this.compactedBytes = Buffer.byteLength(raw) + 1;
        continue;
      }
      if ((entry as JournalEntry | null)?.type !== 'snapshot') this.uncompacted++;
      // Snapshots before any other record are a compaction's: what the next compaction is weighed against.
      else if (this.uncompacted === 0) this.compactedBytes += Buffer.byteLength(raw) + 1;
      try {
        this.apply(entry as JournalEntry);
      } catch (e) {
        if (e instanceof FarmError && e.code === 'EBADRESULTS') throw e;
        throw this.corrupt(this.line, `its record does not apply (${(e as Error).message})`);
      }
    }
    this.offset += Buffer.byteLength(text.slice(0, end));
  }

  /** Whether the file open at fd begins with the header this store read. */
  private sameHeader(fd: number): boolean {
    const want = Buffer.from(`${this.header}\n`);
    const got = Buffer.alloc(want.length);
    return readSync(fd, got, 0, got.length, 0) === got.length && got.equals(want);
  }

  private corrupt(line: number, why: string): FarmError {
    return new FarmError('EBADRESULTS', `${this.file} line ${line} is corrupt: ${why}. The file was left as it is; move it away or use another results directory.`);
  }

  private apply(e: JournalEntry): void {
    switch (e.type) {
      case 'campaign':
        this.campaigns.set(e.campaign.id, new CampaignResults(upgradeCampaign(e.campaign)));
        return;
      case 'state': {
        const c = this.results(e.id).campaign;
        c.state = e.state;
        c.runningMs = e.runningMs;
        return;
      }
      case 'batch':
        this.results(e.result.campaignId).apply(upgradeBatchResult(e.result), e.at, e.runningMs);
        return;
      case 'minimized': {
        const b = this.results(e.id).buckets.get(e.bucket);
        if (b === undefined) throw new Error(`no bucket ${e.bucket}`);
        b.minimized ??= upgradeMinimized(e.minimized);
        return;
      }
      case 'delete':
        this.campaigns.delete(e.id);
        return;
      case 'plan': {
        const c = this.results(e.id).campaign;
        // A new array: a deal is never changed in place (batchPlace keeps what it worked out of each).
        if (c.deal.length === e.plan) c.deal = [...c.deal, e.counts];
        return;
      }
      case 'snapshot':
        this.campaigns.set(e.snapshot.campaign.id, CampaignResults.fromSnapshot(e.snapshot, e.coverage === undefined ? undefined : decodeCoverage(e.coverage)));
        return;
      default:
        throw new Error(`unknown record type ${JSON.stringify((e as { type: unknown }).type)}`);
    }
  }

  /** Append and apply: the line is on disk before memory changes. */
  private write(e: JournalEntry): void {
    this.append(e);
    this.apply(e);
  }

  private append(e: JournalEntry): void {
    if (this.readOnly) throw new FarmError('ESTATE', `${this.file} is open read-only: start or change campaigns in the process that runs them`);
    const text = `${JSON.stringify(e)}\n`;
    appendFileSync(this.file, text);
    this.offset += Buffer.byteLength(text);
    this.line++;
    if (e.type !== 'snapshot') this.uncompacted++;
  }

  private results(id: string): CampaignResults {
    const r = this.campaigns.get(id);
    if (r === undefined) throw new FarmError('ENOCAMPAIGN', `no campaign ${JSON.stringify(id)} in ${this.file}`);
    return r;
  }

  private read(id: string): CampaignResults {
    if (this.readOnly) this.follow(false);
    return this.results(id);
  }

  async createCampaign(spec: CampaignSpec): Promise<Campaign> {
    const c = newCampaign(randomBytes(4).toString('hex'), spec, this.now());
    this.write({ type: 'campaign', campaign: c });
    return this.results(c.id).campaign;
  }

  async listCampaigns(): Promise<Campaign[]> {
    if (this.readOnly) this.follow(false);
    return [...this.campaigns.values()].map((r) => r.campaign).sort((a, b) => b.createdAt - a.createdAt);
  }

  async getCampaign(id: string): Promise<Campaign> {
    return this.read(id).campaign;
  }

  async setState(id: string, state: CampaignState, runningMs?: number): Promise<Campaign> {
    const c = this.results(id).campaign;
    this.write({ type: 'state', id, state, runningMs: runningMs ?? c.runningMs });
    return c;
  }

  async deleteCampaign(id: string): Promise<void> {
    this.results(id);
    this.write({ type: 'delete', id });
  }

  async recordBatch(result: BatchResult, runningMs: number): Promise<RecordOutcome> {
    const r = this.results(result.campaignId);
    if (r.done.has(result.index)) return { recorded: false, newBuckets: [], lowered: [] };
    const at = this.now();
    // The campaign's coverage is a set: the journal keeps of a batch's only what changes it (new hashes, and singletons
    // reached again), which replays to the same set and the same singletons.
    this.append({ type: 'batch', at, runningMs, result: r.journalForm(result) });
    // What apply() does for this record on a reopen, and it says which buckets are new.
    const outcome = r.apply(result, at, runningMs);
    this.compactIfDue();
    return outcome;
  }

  async guide(id: string, cell: number, round: number): Promise<Guide> {
    return this.read(id).guide(cell, round);
  }

  async corpus(id: string): Promise<[number, Contribution[]][]> {
    return structuredClone(this.read(id).corpusByCell());
  }

  async doneBatches(id: string): Promise<DoneRanges> {
    return this.read(id).done.ranges();
  }

  async summary(id: string): Promise<CampaignSummary> {
    return this.read(id).summary();
  }

  async samples(id: string): Promise<Sample[]> {
    return this.read(id).samples.slice();
  }

  async buckets(id: string): Promise<Bucket[]> {
    return [...this.read(id).buckets.values()];
  }

  async bucket(id: string, bucketId: string): Promise<Bucket | null> {
    return this.read(id).buckets.get(bucketId) ?? null;
  }

  async addPlan(id: string, plan: number, counts: number[]): Promise<Campaign> {
    const c = this.results(id).campaign;
    if (c.spec.steer === null) throw new FarmError('ESTATE', `campaign ${id} is not steered: its batches go round its cells`);
    if (c.deal.length === plan) this.write({ type: 'plan', id, plan, counts });
    return c;
  }

  async recordMinimized(id: string, bucketId: string, m: Minimized): Promise<boolean> {
    const b = this.results(id).buckets.get(bucketId);
    if (b === undefined) throw new FarmError('ENOCAMPAIGN', `campaign ${id} has no bucket ${bucketId}`);
    if (b.minimized !== null || !ofLowestExample(b, m)) return false;
    this.write({ type: 'minimized', id, bucket: bucketId, minimized: m });
    return true;
  }

  async snapshot(id: string): Promise<CampaignSnapshot> {
    return structuredClone(this.read(id).snapshot());
  }

  async importSnapshot(s: CampaignSnapshot): Promise<Campaign> {
    if (this.campaigns.has(s.campaign.id)) throw new FarmError('ESTATE', `campaign ${s.campaign.id} is already in ${this.file}; delete it first to import it again`);
    this.write({ type: 'snapshot', snapshot: s });
    return this.results(s.campaign.id).campaign;
  }

  /** Appended to certificates.jsonl beside the journal: any process may, the writer of the journal or not (certificates.ts). */
  async recordCertificate(c: Certificate): Promise<boolean> {
    if (this.readOnly) throw new FarmError('ESTATE', `${this.file} is open read-only: record a certificate with pcfarm verify --results ${dirname(this.file)}`);
    return recordCertificateIn(dirname(this.file), c);
  }

  async certificates(): Promise<Certificate[]> {
    return readCertificates(dirname(this.file));
  }

  async workers(): Promise<WorkerInfo[]> {
    const now = this.now();
    return [...this.workerInfo.values()].filter((w) => now - w.seenAt < WORKER_SILENT_MS);
  }

  async reportWorker(w: WorkerInfo): Promise<void> {
    this.workerInfo.set(w.id, { ...w });
  }

  async dropWorker(id: string): Promise<void> {
    this.workerInfo.delete(id);
  }

  /** Compact what was appended since the last compaction, so the next open, an export or a reader reads only snapshots; then release the writer's lock. */
  async close(): Promise<void> {
    try {
      if (this.locked && this.offset > this.compactedBytes) this.compact();
    } finally {
      this.unlock();
    }
  }
}

/** A journal's first line: the format, and an id of this file, new at each compaction, by which a reader tells a compacted journal from the one it read. */
function headerLine(): string {
  return JSON.stringify({ ...RESULTS_FORMAT, journal: randomBytes(6).toString('hex') });
}

