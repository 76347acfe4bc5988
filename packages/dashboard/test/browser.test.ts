/**
 * The dashboard end to end in a real browser (Debian's Chromium driven by
 * playwright-core): start a small campaign from the form, watch its first
 * bucket appear live, open it, and find its timeline and replay command.
 * Every run takes the screenshots; they replace the ones in docs/ (the
 * README's) only when PCFARM_UPDATE_SCREENSHOTS=1, so a test run leaves the
 * tree as it found it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { batchAt, BatchRunner, campaignSpec, EmbeddedStore, minimizeJobOf, RedisServer, RedisStore, runMinimize } from '@pcfarm/farm';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalControl, startDashboard, StoreControl, type CampaignControl, type Dashboard } from '../dist/index.js';
import { SELF_DEADLOCK, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const DOCS = process.env.PCFARM_UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../../docs/', import.meta.url)) : `${tempDir()}/`;

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
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(DOCS, { recursive: true });
    store = EmbeddedStore.open(tempDir());
    control = new GatedControl(new LocalControl(store, { threads: 2 }));
    dashboard = await startDashboard({ store, control, pollMs: 250 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dashboard.url.replace(/\/$/, '') });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await control?.close();
    await store?.close();
  });

  it('starts a campaign from the form, shows its bucket live, failures before warnings, and the bucket page its timeline and replay command', async () => {
    await page.goto(dashboard.url);
    await page.locator('#new-campaign').waitFor();
    expect(await page.locator('#campaigns').textContent()).toContain('No campaign yet');

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
    await page.fill('input[name=timeBudgetS]', '6');
    await page.fill('input[name=batchSeeds]', '100');
    await page.click('#new-campaign button[type=submit]');

    // The campaign page opens before any batch ran: no bucket yet.
    await page.waitForURL(/#\/campaigns\/[0-9a-f]+$/);
    // The page renders after the URL changes: wait for it rather than count at once.
    await page.locator('p.muted', { hasText: 'blocks per page 1, 4' }).waitFor();
    await page.locator('#buckets tr.empty').waitFor();
    expect(await page.locator('#buckets tr.bucket').count()).toBe(0);
    await page.locator('#live-status', { hasText: 'live' }).waitFor();

    // Now it runs: the buckets come in over the live stream, marked new.
    control.release();
    const first = page.locator('#buckets tr.bucket').first();
    await first.waitFor({ timeout: 30_000 });
    await expect(first.getAttribute('class')).resolves.toContain('new');
    await page.locator('h1 .badge', { hasText: 'done' }).waitFor({ timeout: 60_000 });
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
    await page.screenshot({ path: `${DOCS}dashboard-campaign.png`, fullPage: true });

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
    expect(await command.textContent()).toMatch(/^npx --yes pnpm@10 pcfarm replay pcfarm1:\S+$/);
    await page.locator('#reproducer button.copy').first().click();
    await page.locator('#reproducer button.copy', { hasText: 'Copied' }).first().waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(await command.textContent());
    await page.screenshot({ path: `${DOCS}dashboard-bucket.png`, fullPage: true });

    // Back on the campaign page, what was seen is no longer new.
    await page.goBack();
    await page.locator('#buckets tr.bucket').first().waitFor();
    expect(await page.locator('#buckets tr.bucket.new').count()).toBe(0);

    // A warning's page: no reproducer, but its witness and the command that runs it.
    await page.locator('#buckets tr.bucket.warning a', { hasText: 'cycle page_lock -> mmap_sem -> page_lock; class only' }).click();
    await page.locator('#witness').waitFor();
    expect(await page.locator('#reproducer h2').textContent()).toBe('Witness');
    expect(await page.locator('#reproducer .command-text').first().textContent()).toBe('npx --yes pnpm@10 pcfarm fuzz --first-failure --strategy v2.6.20 --scenario hole-fill-vs-read-same-mm');
    await page.locator('#trace .warning-box').first().waitFor({ timeout: 20_000 });
    expect(pageErrors).toEqual([]);
  });

  it('shows the verdict matrix: a row per scenario and blocks per page, each cell its verdict and count, warnings marked', async () => {
    await page.goto(`${dashboard.url}#/matrix?runs=200&bpp=1,4`);
    const cell = page.locator('table.matrix td.verdict').first();
    await cell.waitFor({ timeout: 60_000 });
    await expect(cell.textContent()).resolves.toMatch(/^deadlock ×\d+$/);
    await expect(cell.getAttribute('title')).resolves.toMatch(/failed deadlock ×\d+ \(first seed \d+\)/);
    expect(await page.locator('#matrix-legend').textContent()).toMatch(/the most severe kind any of its 200 runs/);
    const rows = await page.locator('table.matrix tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th')].map((th) => th.textContent)));
    expect(rows.slice(0, 2)).toEqual([
      ['self-mmap-write', '1'],
      ['self-mmap-write', '4'],
    ]);
    await expect(page.locator('table.matrix td.verdict.warned', { hasText: 'warns lock-order ×' }).count()).resolves.toBeGreaterThan(0);
    await page.screenshot({ path: `${DOCS}dashboard-matrix.png`, fullPage: true });
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
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
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
    expect(await command.textContent()).toBe(`npx --yes pnpm@10 pcfarm replay ${(await store.bucket(c.id, bucket.id))!.minimized!.reproducer}`);
    expect(pageErrors).toEqual([]);
  });
});
