/**
 * The dashboard end to end in a real browser (Debian's Chromium driven by
 * playwright-core): start a small campaign from the form, watch its first
 * bucket appear live, open it, and find its timeline and replay command.
 * Every page is looked at on a desktop (1440x900) and on a phone (390x844),
 * where nothing may scroll the page sideways. With
 * PCFARM_UPDATE_SCREENSHOTS=1 a run takes the screenshots of both, for
 * docs/ (the README's); otherwise it takes none (a full-page PNG costs a
 * second or so of CPU, and no assertion reads it), so a test run leaves the
 * tree as it found it.
 */
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { batchAt, BatchRunner, campaignSpec, EmbeddedStore, minimizeJobOf, RedisServer, RedisStore, runMinimize } from '@pcfarm/farm';
import { encodeReproducer, MODEL_VERSION, reproducerOf, verifyDeepening } from '@pcfarm/core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalControl, MatrixCache, startDashboard, StoreControl, type CampaignControl, type Dashboard } from '../dist/index.js';
import { PCFARM } from '@pcfarm/farm/replay-commands';
import { escapeRegExp, EXCL_CELLS, exclFlagFiles, runHere, SELF_DEADLOCK, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const UPDATE_SCREENSHOTS = process.env.PCFARM_UPDATE_SCREENSHOTS === '1';
const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
/**
 * The campaign the form starts runs this long: a sample a second gives its
 * charts a line. 3 s saved 3 s of the suite, but the one run of the suite
 * where the warning's page did not come in time was of 3 s: until that is
 * understood, 6, as every earlier run.
 */
const CAMPAIGN_S = 6;
/** Seeds a cell of the verdict matrix runs: enough for failures and warnings in every row; the README's picture counts more. */
const MATRIX_RUNS = UPDATE_SCREENSHOTS ? 100 : 20;
const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

/** One Chromium for the whole file, launched by the first suite that needs it: each launch is a second or so of CPU. */
let shared: Promise<Browser> | null = null;
const launched = (): Promise<Browser> => (shared ??= chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }));
afterAll(async () => {
  await (await shared)?.close();
});

/** How far the page scrolls sideways: 0 when it fits its window. */
function sideways(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;
}

/** The page as it is now, for docs/NAME.png: taken only when the screenshots are being updated. */
async function screenshot(page: Page, name: string): Promise<void> {
  if (UPDATE_SCREENSHOTS) await page.screenshot({ path: `${DOCS}${name}.png`, fullPage: true });
}

/** The page as it is now on a phone: it fits the width, and its picture is kept beside the desktop one. */
async function onPhone(phone: Page, url: string, ready: string, name: string): Promise<void> {
  await phone.goto(url);
  await phone.locator(ready).first().waitFor({ timeout: 60_000 });
  expect(await sideways(phone), `${name} on a phone`).toBe(0);
  await screenshot(phone, `${name}-phone`);
}

/**
 * The local control, held at the gate: a campaign created through the page
 * starts only when the test opens it, so the page is open (with no bucket)
 * before the first bucket exists, and that bucket must arrive live.
 */
class GatedControl implements CampaignControl {
  readonly kind = 'local';
  private open: () => void = () => {};
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));

  constructor(private readonly inner: LocalControl) {}

  async start(id: string): Promise<void> {
    void this.gate.then(() => this.inner.start(id));
  }

  stop(id: string): Promise<void> {
    return this.inner.stop(id);
  }

  activity(id: string): ReturnType<LocalControl['activity']> {
    return this.inner.activity(id);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  release(): void {
    this.open();
  }
}

describe.skipIf(!existsSync(CHROMIUM))('the dashboard in a browser', () => {
  let store: EmbeddedStore;
  let control: GatedControl;
  let dashboard: Dashboard;
  let browser: Browser;
  let matrix: MatrixCache;
  let page: Page;
  let phone: Page;
  const pageErrors: string[] = [];
  /** Every API path the desktop page asked for, in order. */
  const asked: string[] = [];

  beforeAll(async () => {
    store = EmbeddedStore.open(tempDir());
    control = new GatedControl(new LocalControl(store, { threads: 2 }));
    // A short search a cell, counted in schedules so that a busy machine gives the same matrix: seconds in all.
    matrix = new MatrixCache({ boundMax: 1, reclaimActionsMax: 1, cellMs: 60_000, cellSchedulesMax: 100 });
    dashboard = await startDashboard({ store, control, pollMs: 250, matrix });
    browser = await launched();
    const context = await browser.newContext({ viewport: DESKTOP });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dashboard.url.replace(/\/$/, '') });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/api/')) asked.push(u.pathname);
    });
    phone = await (await browser.newContext({ viewport: PHONE })).newPage();
    phone.on('pageerror', (e) => pageErrors.push(`phone: ${e.message}`));
  });

  afterAll(async () => {
    // The browser is shared: close this suite's pages, which would go on polling a closed dashboard.
    for (const c of browser?.contexts() ?? []) await c.close();
    await dashboard?.close();
    await matrix?.close();
    await control?.close();
    await store?.close();
  });

  it('starts a campaign from the form, shows its bucket live, failures before warnings, and the bucket page its timeline and replay command', async () => {
    await page.goto(dashboard.url);
    await page.locator('#new-campaign').waitFor();
    expect(await page.locator('#campaigns').textContent()).toContain('No campaign yet');
    await onPhone(phone, dashboard.url, '#new-campaign', 'dashboard-campaigns');

    // With no strategy the form says what to do, in words, before asking the server.
    await page.click('#new-campaign button[data-none=strategy]');
    await page.click('#new-campaign button[type=submit]');
    await expect(page.locator('#new-campaign .error').textContent()).resolves.toBe('Choose at least one strategy.');

    // A small campaign: one strategy, two scenarios, for a few seconds of running time
    // (long enough for the charts to have a line, short enough for the test).
    await page.click('#new-campaign button[data-none=strategy]');
    await page.click('#new-campaign button[data-none=scenario]');
    await page.check('input[name=strategy][value="v2.6.20"]');
    await page.check('input[name=scenario][value="self-mmap-write"]');
    await page.check('input[name=scenario][value="cross-mmap-write"]');
    await page.check('input[name=scenario][value="hole-fill-vs-read"]');
    // Blocks per page: whole-page and quarter-page buffers.
    await page.click('#new-campaign button[data-none=blocksPerPage]');
    await page.check('input[name=blocksPerPage][value="1"]');
    await page.check('input[name=blocksPerPage][value="4"]');
    await page.fill('input[name=name]', 'v2.6.20 mmap writes');
    await page.fill('input[name=seedsPerCell]', '');
    await page.fill('input[name=timeBudgetS]', String(CAMPAIGN_S));
    await page.fill('input[name=batchSeeds]', '100');
    await page.click('#new-campaign button[type=submit]');

    // The campaign page opens before any batch ran: no bucket yet.
    await page.waitForURL(/#\/campaigns\/[0-9a-f]+$/);
    // The page renders after the URL changes: wait for it rather than count at once.
    await page.locator('p.muted', { hasText: 'blocks per page 1, 4' }).waitFor();
    await page.locator('#buckets tr.empty').waitFor();
    expect(await page.locator('#buckets tr.bucket').count()).toBe(0);
    await page.locator('#live-status', { hasText: 'live' }).waitFor();

    const id = /#\/campaigns\/([0-9a-f]+)$/.exec(page.url())![1]!;
    const loaded = asked.length;
    // What verify found of one cell, its counterexample as a reproducer, kept in the store as pcfarm verify --results would.
    const cell = { strategy: 'v2.6.20', scenario: 'self-mmap-write' };
    const search = verifyDeepening(cell, { preemptionsMax: 0, reclaimActionsMax: 2, paramsMax: 0 }, 0);
    const counterexample = encodeReproducer(reproducerOf({ ...cell, scheduler: 'systematic', reclaimActionsMax: 2 }, search.last.failure!.choices));
    await store.recordCertificate({ ...cell, result: 'fail', strategyFile: null, blocksPerPage: 1, modelVersion: MODEL_VERSION, unit: 'preemptions', bound: 0, reclaimActionsMax: 2, paramsMax: 0, schedules: search.schedules, classes: null, hash: null, signature: 'deadlock in v2.6.20: self', reproducer: counterexample, seconds: 0.1, at: 1 });

    // Now it runs: the buckets come in over the live stream, marked new.
    control.release();
    // The first numbers are honest: with the first runs comes their rate, never 0.00.
    await page.locator('#tile-runs').filter({ hasNotText: /^0$/ }).waitFor({ timeout: 30_000 });
    const rate = await page.locator('#tile-rate').textContent();
    expect(rate).not.toBe('0.00');
    expect(rate).toMatch(/^[\d,.]+$|^–$/);
    const first = page.locator('#buckets tr.bucket').first();
    await first.waitFor({ timeout: 30_000 });
    await expect(first.getAttribute('class')).resolves.toContain('new');
    await page.locator('h1 .badge', { hasText: 'done' }).waitFor({ timeout: 60_000 });
    // v2.6.20 x self-mmap-write at 1 bpp is a canary: the page says it was found (over the stream: nothing fetched).
    await page.locator('#canaries .canary.found', { hasText: 'canary v2.6.20 x self-mmap-write (1 bpp): its deadlock found, as expected' }).waitFor({ timeout: 10_000 });
    // And what it has likely left: the risk tile and the riskiest cells, over the stream too.
    await expect(page.locator('#tile-risk').textContent()).resolves.toMatch(/^[\d.]+%$/);
    await expect(page.locator('#risk tbody tr').count()).resolves.toBe(6);
    // Wait for every failure bucket's minimization, so the picture shows the finished table (warnings are never minimized).
    const buckets = await page.locator('#buckets tr.bucket.failure').count();
    await page.locator('#tile-minimized', { hasText: `${buckets} of ${buckets}` }).waitFor({ timeout: 60_000 });
    // The warnings come after every failure, under their own heading.
    await page.locator('#buckets tr.section', { hasText: 'Warnings (not failures)' }).waitFor();
    const classes = await page.locator('#buckets tbody tr').evaluateAll((rows) => rows.map((r) => r.className));
    const heading = classes.findIndex((c) => c === 'section');
    expect(classes.slice(0, heading).every((c) => c.startsWith('bucket failure'))).toBe(true);
    expect(classes.slice(heading + 1).length).toBeGreaterThan(0);
    expect(classes.slice(heading + 1).every((c) => c.startsWith('bucket warning'))).toBe(true);
    await expect(page.locator('#tile-warnings').textContent()).resolves.toBe(String(classes.length - heading - 1));
    await page.locator('#buckets tr.bucket td:last-child', { hasText: 'pending' }).first().waitFor({ state: 'detached', timeout: 10_000 });
    await page.locator('#workers tbody tr').first().waitFor();
    // Everything since the page loaded came over the stream: no list or sample was fetched again (the cells, too many for a tick, are fetched when the campaign stops).
    expect(asked.slice(loaded).filter((p) => p.startsWith(`/api/campaigns/${id}`) && p !== `/api/campaigns/${id}/cells`)).toEqual([]);
    // Each cell's runs beside what verify found of it, once the campaign stopped: its last figures.
    const selfCell = page.locator('#cells tbody tr', { hasText: 'fails at 0 preemptions (reclaim actions ≤ 2)' });
    await selfCell.waitFor({ timeout: 10_000 });
    await expect(selfCell.locator('td').first().textContent()).resolves.toBe('v2.6.20 × self-mmap-write');
    await expect(selfCell.locator('td').nth(1).textContent()).resolves.not.toBe('0');
    await expect(page.locator('#cells tbody tr').count()).resolves.toBe(6);
    await expect(page.locator('#cells td', { hasText: 'not verified' }).count()).resolves.toBe(5);
    // Read now and then, not live: the table says as of when, its last read once the campaign is done.
    await page.locator('#cells-as-of', { hasText: /^as of \d\d:\d\d:\d\d$/ }).waitFor();
    // Its counterexample is a click away: the replay view replays it as it opens.
    await selfCell.locator('a', { hasText: 'fails at' }).click();
    await page.waitForURL(/#\/replay\?r=pcfarm1/);
    await page.locator('#replay-out .failure-box', { hasText: 'which it holds itself (self deadlock)' }).waitFor({ timeout: 10_000 });
    // The campaigns list counts the cells verify certified and found failing.
    await page.goto(`${dashboard.url}#/campaigns`);
    await expect(page.locator(`#campaigns tr[data-campaign="${id}"] td`).nth(7).textContent()).resolves.toBe('0 of 6 · 1 fail');
    await page.goto(`${dashboard.url}#/campaigns/${id}`);
    await page.locator('#cells tbody tr').first().waitFor();
    // The coverage tile and the coverage chart's last point say the same.
    const coverage = Number((await page.locator('#tile-coverage').textContent())!.replace(/,/g, ''));
    const chartLast = await page.locator('svg.chart[aria-label="coverage over running time"] .last').textContent();
    expect(chartLast).toBe(coverage >= 1000 ? `${+(coverage / 1000).toFixed(1)}k` : String(coverage));
    expect(await sideways(page)).toBe(0);
    await screenshot(page, 'dashboard-campaign');
    await onPhone(phone, page.url(), '#buckets tr.bucket', 'dashboard-campaign');

    // Filters and sorting live in the address: a reload keeps them.
    await page.selectOption('.filters select[name=severity]', 'failure');
    await page.locator('#buckets th[data-sort=title]').click();
    expect(page.url()).toMatch(/\?sort=title&order=asc&severity=failure$/);
    await page.reload();
    await page.locator('#buckets tr.bucket').first().waitFor();
    await expect(page.locator('.filters select[name=severity]').inputValue()).resolves.toBe('failure');
    expect(await page.locator('#buckets tr.bucket.warning').count()).toBe(0);
    const titles = await page.locator('#buckets tr.bucket td.signature a').allTextContents();
    expect(titles).toEqual([...titles].sort());
    await page.goto(`${dashboard.url}#/campaigns/${id}`);
    await page.locator('#buckets tr.bucket').first().waitFor();

    // The self deadlock's page: its minimized reproducer, the command, the timeline.
    await page.locator('#buckets tr.bucket a', { hasText: 'deadlock in v2.6.20: self' }).click();
    await page.waitForURL(/\/buckets\/[0-9a-f]+$/);
    const timeline = page.locator('svg.timeline');
    await timeline.waitFor({ timeout: 20_000 });
    expect(await timeline.isVisible()).toBe(true);
    // A lane per task, the writer's among them, and the failure marked.
    await expect(page.locator('svg.timeline .lane-label', { hasText: 'writer' }).count()).resolves.toBe(1);
    await expect(page.locator('svg.timeline .mark.failure').count()).resolves.toBe(1);
    expect(await page.locator('svg.timeline rect.hold').count()).toBeGreaterThan(0);
    const command = page.locator('#reproducer .command-text').first();
    expect(await command.isVisible()).toBe(true);
    expect(await command.textContent()).toMatch(new RegExp(`^${escapeRegExp(PCFARM)} replay pcfarm1:\\S+$`));
    await page.locator('#reproducer button.copy').first().click();
    await page.locator('#reproducer button.copy', { hasText: 'Copied' }).first().waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(await command.textContent());
    expect(await sideways(page)).toBe(0);
    await screenshot(page, 'dashboard-bucket');
    await onPhone(phone, page.url(), 'svg.timeline', 'dashboard-bucket');
    // The replay command keeps the phone's whole width; its button goes under it.
    const box = (await phone.locator('#reproducer .command-text').first().boundingBox())!;
    expect(box.width).toBeGreaterThan(PHONE.width * 0.6);

    // A reproducer replayed by hand, on both.
    const reproducer = (await page.locator('#reproducer pre.reproducer').textContent())!;
    // On the phone, the replay command as the bucket page copies it: the form takes the reproducer out of it.
    for (const [p, pasted] of [[page, reproducer], [phone, `${PCFARM} replay ${reproducer}`]] as const) {
      await p.goto(`${dashboard.url}#/replay`);
      await p.fill('#replay-form textarea', pasted);
      await p.click('#replay-form button[type=submit]');
      await p.locator('#replay-out svg.timeline').waitFor({ timeout: 20_000 });
      expect(await sideways(p)).toBe(0);
    }
    await screenshot(phone, 'dashboard-replay-phone');
    // From the replay page back to the bucket's.
    await page.goBack();

    // Back on the campaign page, what was seen is no longer new.
    await page.goBack();
    await page.locator('#buckets tr.bucket').first().waitFor();
    expect(await page.locator('#buckets tr.bucket.new').count()).toBe(0);

    // A warning's page: no reproducer, but its witness and the command that runs it.
    await page.locator('#buckets tr.bucket.warning a', { hasText: 'cycle page_lock -> mmap_sem -> page_lock; class only' }).click();
    await page.waitForURL(/\/buckets\/[0-9a-f]+$/);
    // Its witness, or the error the page shows instead (once, on a loaded CI machine, neither came within 30 s: this says which).
    await page.locator('#witness, #main .view > .error').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('#main .view > .error').allTextContents()).toEqual([]);
    expect(await page.locator('#reproducer h2').textContent()).toBe('Witness');
    expect(await page.locator('#reproducer .command-text').first().textContent()).toBe(`${PCFARM} fuzz --first-failure --strategy v2.6.20 --scenario hole-fill-vs-read-same-mm`);
    await page.locator('#trace .warning-box').first().waitFor({ timeout: 20_000 });
    expect(pageErrors).toEqual([]);
  });

  it('shows the verdict matrix: a row per scenario and blocks per page, each cell its verdict and count, warnings marked', async () => {
    await page.goto(`${dashboard.url}#/matrix?runs=${MATRIX_RUNS}&bpp=1,4`);
    const cell = page.locator('table.matrix td.verdict').first();
    await cell.waitFor({ timeout: 60_000 });
    // Its verdict and count (what verify kept of it follows: below).
    await expect(cell.locator(':scope > span').textContent()).resolves.toMatch(/^deadlock ×\d+$/);
    await expect(cell.getAttribute('title')).resolves.toMatch(/failed deadlock ×\d+ \(first seed \d+\)/);
    expect(await page.locator('#matrix-legend').textContent()).toContain(`the most severe kind any of its ${MATRIX_RUNS} runs`);
    const rows = await page.locator('table.matrix tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th')].map((th) => th.textContent)));
    expect(rows.slice(0, 2)).toEqual([
      ['self-mmap-write', '1'],
      ['self-mmap-write', '4'],
    ]);
    await expect(page.locator('table.matrix td.verdict.warned', { hasText: 'warns lock-order ×' }).count()).resolves.toBeGreaterThan(0);
    // What verify kept in the store (the campaign test recorded v2.6.20 x self-mmap-write's counterexample), in its cell alone.
    await expect(page.locator('table.matrix td.verdict .kept').allTextContents()).resolves.toEqual(['kept: fails at 0p (2r)']);
    await expect(cell.locator('.kept').textContent()).resolves.toBe('kept: fails at 0p (2r)');
    // Costs read as numbers: 4,096 cells copied, not 4096.
    await expect(page.locator('#costs tbody td', { hasText: /^4,096$/ }).count()).resolves.toBeGreaterThan(0);
    expect(await sideways(page)).toBe(0);
    await screenshot(page, 'dashboard-matrix');
    await onPhone(phone, `${dashboard.url}#/matrix?runs=${MATRIX_RUNS}&bpp=1,4`, 'table.matrix td.verdict', 'dashboard-matrix');
    // With bounds: each cell says what every schedule up to the bound came to, beside its seeds.
    await page.goto(`${dashboard.url}#/matrix?runs=20&bpp=1&verify=1`);
    const bound = page.locator('table.matrix td.verdict .bound').first();
    await bound.waitFor({ timeout: 60_000 });
    await expect(bound.textContent()).resolves.toBe('fails at 0p (deadlock)');
    await expect(page.locator('table.matrix td.verdict .bound.certified').count()).resolves.toBeGreaterThan(0);
    expect(await page.locator('#matrix-legend').textContent()).toMatch(/every schedule explored up to 1 preemption with/);
    expect(await page.locator('input[name=verify]').isChecked()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

/**
 * Two versions of a design compared: Anton's PG_writing flag as a strategy
 * file, then Nick Piggin's fix of it ("you must also exclude
 * filemap_nopage"), each a campaign. The compare view is reached from the
 * campaigns list and from a campaign page, keeps its filters in the
 * address, links each bucket to its page, and fits a phone.
 */
describe.skipIf(!existsSync(CHROMIUM))('comparing two campaigns in a browser', () => {
  const dir = tempDir('pcfarm-dash-files-');
  let store: EmbeddedStore;
  let dashboard: Dashboard;
  let browser: Browser;
  const ids = { before: '', after: '' };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    store = EmbeddedStore.open(tempDir());
    const files = exclFlagFiles(dir);
    files.write('my-excl.ts', 'my-excl', false);
    files.write('my-excl-nopage.ts', 'my-excl-nopage', true);
    ids.before = await runHere(store, { name: 'excl-flag, as first sent', strategyFiles: [files.strategyFile('my-excl.ts')], ...EXCL_CELLS });
    ids.after = await runHere(store, { name: 'excl-flag, nopage waits too', strategyFiles: [files.strategyFile('my-excl-nopage.ts')], ...EXCL_CELLS });
    dashboard = await startDashboard({ store, control: new StoreControl(store), pollMs: 250 });
    browser = await launched();
  });

  afterAll(async () => {
    // The browser is shared: close this suite's pages, which would go on polling a closed dashboard.
    for (const c of browser?.contexts() ?? []) await c.close();
    await dashboard?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks A and B on the campaigns list and shows what is new, what is gone and what B fixed, each bucket linked; filters stay in the address', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(dashboard.url);
    // The list's cells say no "null" (Element.append writes a null as its text), whatever warnings a campaign has.
    await page.locator('#campaigns tbody tr').first().waitFor();
    expect(await page.locator('#campaigns tbody').textContent()).not.toContain('null');
    // A strategy file cannot be started from the page: the form says where it can.
    await expect(page.locator('#new-campaign #strategy-files-note').textContent()).resolves.toMatch(/starts from the command line, where the file is: pcfarm campaign start --strategy-file FILE/);
    // The earlier campaign is A, the later B, already chosen.
    await expect(page.locator('#compare-form select[name=a]').inputValue()).resolves.toBe(ids.before);
    await expect(page.locator('#compare-form select[name=b]').inputValue()).resolves.toBe(ids.after);
    await page.click('#compare-form button[type=submit]');
    await page.waitForURL(new RegExp(`#/compare\\?a=${ids.before}&b=${ids.after}$`));
    await page.locator('#fixes-table tr.retest').first().waitFor({ timeout: 20_000 });
    expect(await page.locator('#diff-notes li').allTextContents()).toEqual(['strategy my-excl of A is compared with my-excl-nopage of B']);
    // A's and B's strategies are files: named by file and source, never by path.
    const sides = (await page.locator('dl.compare-sides').textContent())!;
    expect(sides).toMatch(/my-excl \(file my-excl\.ts, source [0-9a-f]{16}\)/);
    expect(sides).not.toContain(dir);
    // New in B: the self deadlock of waiting on PG_writing in filemap_nopage; gone: the stale data.
    await expect(page.locator('#diff-table tr.diff.new', { hasText: 'deadlock in my-excl-nopage: self; wait_on_bit PG_writing in filemap_nopage' }).count()).resolves.toBe(1);
    await expect(page.locator('#diff-table tr.diff.gone', { hasText: 'stale-data in my-excl' }).count()).resolves.toBeGreaterThan(0);
    await expect(page.locator('#diff-table tr.diff.same').count()).resolves.toBe(0);
    // Fix tracking: the stale data re-run against B's strategy is fixed.
    const stale = page.locator('#fixes-table tr.retest', { hasText: 'stale-data in my-excl' }).first();
    await expect(stale.getAttribute('data-verdict')).resolves.toBe('fixed');
    expect(await page.locator('#fixes-summary').textContent()).toMatch(/^\d+ fixed, \d+ still failing\. Each failure bucket of A is re-run against B's strategy/);
    expect(await sideways(page)).toBe(0);
    await screenshot(page, 'dashboard-compare');
    const phone = await browser.newPage({ viewport: PHONE });
    phone.on('pageerror', (e) => pageErrors.push(`phone: ${e.message}`));
    await onPhone(phone, page.url(), '#fixes-table tr.retest', 'dashboard-compare');

    // Filters live in the address: every bucket, then only the fixed re-tests; a reload keeps both.
    await page.selectOption('#diff-buckets select[name=show]', 'all');
    await page.selectOption('#fixes select[name=verdict]', 'fixed');
    expect(page.url()).toMatch(/&show=all&verdict=fixed$/);
    await page.reload();
    await page.locator('#fixes-table tr.retest').first().waitFor({ timeout: 20_000 });
    await expect(page.locator('#diff-buckets select[name=show]').inputValue()).resolves.toBe('all');
    expect(await page.locator('#fixes-table tr.retest').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict')))).toEqual(expect.arrayContaining(['fixed']));
    expect(await page.locator('#fixes-table tr.retest:not([data-verdict=fixed])').count()).toBe(0);

    // A new bucket links to its page in B, which shows its strategy as a file.
    await page.locator('#diff-table tr.diff.new a', { hasText: 'deadlock in my-excl-nopage: self' }).click();
    await page.waitForURL(new RegExp(`#/campaigns/${ids.after}/buckets/[0-9a-f]+$`));
    await page.locator('#strategy-file').waitFor();
    expect(await page.locator('#strategy-file').textContent()).toMatch(/^my-excl-nopage file my-excl-nopage\.ts · source [0-9a-f]{16}$/);
    await expect(page.locator('#reproducer .command-text').first().textContent()).resolves.toMatch(/ --strategy-file my-excl-nopage\.ts$/);
    await page.locator('svg.timeline').waitFor({ timeout: 20_000 });
    expect(pageErrors).toEqual([]);
  });

  it('goes from a campaign page to the compare view with that campaign as B and the one before it as A', async () => {
    const page = await browser.newPage({ viewport: PHONE });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${dashboard.url}#/campaigns/${ids.after}`);
    await expect(page.locator('p.spec').textContent()).resolves.toMatch(/^my-excl-nopage \(file my-excl-nopage\.ts, source [0-9a-f]{16}\) × /);
    await page.click('#compare-with');
    await page.waitForURL(new RegExp(`#/compare\\?b=${ids.after}$`));
    await expect(page.locator('#compare-form select[name=a]').inputValue()).resolves.toBe(ids.before);
    await page.click('#compare-form button[type=submit]');
    await page.locator('#fixes-table tr.retest').first().waitFor({ timeout: 20_000 });
    expect(await sideways(page)).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it("starts a guided campaign from the form with the store's failures as its pollen, or cold with the box unticked, and its page says which", async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const start = async (pollen: boolean): Promise<void> => {
      await page.goto(dashboard.url);
      await page.locator('#new-campaign').waitFor();
      await page.click('#new-campaign button[data-none=strategy]');
      await page.check('input[name=strategy][value="v2.6.20"]');
      await page.click('#new-campaign button[data-none=scenario]');
      for (const x of EXCL_CELLS.scenarios) await page.check(`input[name=scenario][value="${x}"]`);
      await page.click('#new-campaign button[data-none=blocksPerPage]');
      await page.check('input[name=blocksPerPage][value="1"]');
      await page.selectOption('select[name=scheduler]', 'guided');
      await page.fill('input[name=seedsPerCell]', '10');
      if (!pollen) await page.uncheck('input[name=pollen]');
      await page.click('#new-campaign button[type=submit]');
      await page.waitForURL(/#\/campaigns\/[0-9a-f]+$/);
      await page.locator('#search').waitFor();
    };
    // The two strategy files' failures on these scenarios, minimized: v2.6.20's cells replay them first.
    await start(true);
    await expect(page.locator('#pollen').textContent()).resolves.toMatch(/^Pollen: [1-9]\d* failures? the store held on these scenarios when the campaign was made; each cell replays those of other strategies as its first runs\.$/);
    await start(false);
    await expect(page.locator('#search h2').textContent()).resolves.toBe('What the search keeps');
    expect(await page.locator('#pollen').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});

/**
 * The same page over the farm's Redis store. No coordinator runs here: the
 * test records batches into Redis as the farm's workers would, and the page
 * must show them as it does on a laptop.
 */
describe.skipIf(!existsSync(CHROMIUM))('the dashboard in a browser, on Redis', () => {
  let redis: RedisServer;
  let store: RedisStore;
  let dashboard: Dashboard;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start({ dir: tempDir('pcfarm-dash-redis-') });
    store = await RedisStore.connect(redis.url, { prefix: 'browser' });
    dashboard = await startDashboard({ store, control: new StoreControl(store), pollMs: 250 });
    browser = await launched();
  });

  afterAll(async () => {
    // The browser is shared: close this suite's pages, which would go on polling a closed dashboard.
    for (const c of browser?.contexts() ?? []) await c.close();
    await dashboard?.close();
    await store?.close();
    await redis?.stop();
  });

  it('shows a bucket the farm records live, and its timeline and replay command', async () => {
    const c = await store.createCampaign(campaignSpec({ name: 'farm campaign', strategies: ['v2.6.20'], scenarios: ['self-mmap-write'], seedsPerCell: 200, batchSeeds: 100 }));
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${dashboard.url}#/campaigns/${c.id}`);
    await page.locator('#buckets tr.empty').waitFor();
    await page.locator('#live-status', { hasText: 'live' }).waitFor();
    expect(await page.locator('.status').textContent()).toContain('redis store');

    const runner = new BatchRunner();
    await store.recordBatch(runner.run(batchAt(c, 0)!, Date.now), 100);
    const row = page.locator('#buckets tr.bucket', { hasText: SELF_DEADLOCK });
    await row.waitFor({ timeout: 15_000 });
    await page.locator('#tile-runs', { hasText: '100' }).waitFor();

    const bucket = (await store.buckets(c.id)).find((b) => b.title.startsWith(SELF_DEADLOCK))!;
    await store.recordMinimized(c.id, bucket.id, runMinimize(runner, minimizeJobOf(c, bucket, 2000), Date.now));
    await row.locator('td:last-child', { hasText: 'choices' }).waitFor({ timeout: 15_000 });

    await row.locator('a').click();
    await page.locator('svg.timeline').waitFor({ timeout: 15_000 });
    await expect(page.locator('svg.timeline .mark.failure').count()).resolves.toBe(1);
    const command = page.locator('#reproducer .command-text').first();
    expect(await command.textContent()).toBe(`${PCFARM} replay ${(await store.bucket(c.id, bucket.id))!.minimized!.reproducer}`);
    expect(pageErrors).toEqual([]);
  });
});

/**
 * A dashboard that needs a token for changes: the page asks for it in its
 * header and the server keeps it in an HttpOnly cookie; a ?token= link is
 * exchanged before the page loads, so the token is in no address the page
 * has and in no request its files make.
 */
describe.skipIf(!existsSync(CHROMIUM))('the dashboard with a token, in a browser', () => {
  const TOKEN = 'c0ffee-t0ken';
  let store: EmbeddedStore;
  let dashboard: Dashboard;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    store = EmbeddedStore.open(tempDir());
    dashboard = await startDashboard({ store, control: new StoreControl(store), token: TOKEN, pollMs: 250 });
    browser = await launched();
  });

  afterAll(async () => {
    // The browser is shared: close this suite's pages, which would go on polling a closed dashboard.
    for (const c of browser?.contexts() ?? []) await c.close();
    await dashboard?.close();
    await store?.close();
  });

  it('asks for the token in the page, then makes changes; the token typed in is kept by no script', async () => {
    const page = await browser.newPage({ viewport: PHONE });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(dashboard.url);
    await page.locator('#new-campaign').waitFor();
    await page.click('#new-campaign button[data-none=scenario]');
    await page.check('input[name=scenario][value="self-mmap-write"]');
    await page.click('#new-campaign button[type=submit]');
    await expect(page.locator('#new-campaign .error').textContent()).resolves.toMatch(/type it into the page's token field/);
    expect(await sideways(page)).toBe(0);

    await page.fill('#token-form input[name=token]', 'wrong');
    await page.click('#token-form button[type=submit]');
    await page.locator('.token-message', { hasText: "that is not this dashboard's token" }).waitFor();
    await page.fill('#token-form input[name=token]', TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator('#signed-in').waitFor();
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('JSON.stringify({ ...localStorage, ...sessionStorage })')).not.toContain(TOKEN);
    await page.click('#new-campaign button[type=submit]');
    await page.waitForURL(/#\/campaigns\/[0-9a-f]+$/);
    await page.locator('#stop-campaign').click();
    await page.locator('h1 .badge', { hasText: 'stopped' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('exchanges a ?token= link for the cookie before the page loads: no address or request of the page holds the token', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    const leaks: string[] = [];
    page.on('request', (r) => {
      const referer = r.headers().referer ?? '';
      if (r.url() !== `${dashboard.url}?token=${TOKEN}` && (r.url().includes(TOKEN) || referer.includes(TOKEN))) leaks.push(`${r.url()} (referer ${referer})`);
    });
    await page.goto(`${dashboard.url}?token=${TOKEN}#/campaigns`);
    await page.locator('#signed-in').waitFor();
    expect(page.url()).toBe(`${dashboard.url}#/campaigns`);
    expect(await page.evaluate('location.href')).not.toContain(TOKEN);
    expect(leaks).toEqual([]);
    await context.close();
  });
});
