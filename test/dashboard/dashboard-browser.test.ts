import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ClusterNode } from '../../cluster/local/local-cluster.js';
import { projectPath } from '../../src/config/paths.js';
import { startChaosLoad, type ChaosLoad } from '../../cluster/local/chaos/chaos-load.js';
import { startProcessCluster, type ProcessCluster } from '../support/process-cluster.js';
import { describeRequiring } from '../support/prerequisite.js';

/*
 * The dashboard in a real headless Chromium over a 3-node process cluster: orders flow, a node
 * is SIGKILLed, and the page must show its shards owned by the other two within the failover
 * time. UPDATE_SCREENSHOT=1 saves docs/dashboard.png while orders flow.
 */
const PARTITIONS = 12;
const SESSION_TIMEOUT_MS = 3_000;
/** Session timeout + rebalance + one publish and one poll; the failover-time test's bound. */
const FAILOVER_BOUND_MS = 10_000;

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
const executablePath = CANDIDATES.find((p): p is string => !!p && existsSync(p));
const missingBrowser = executablePath ? undefined : 'no chromium executable found (apt-get install -y chromium, or set CHROMIUM_PATH)';

/*
 * Functions passed to page.evaluate run in the page; the project compiles without the DOM lib,
 * so they name the little of the DOM they use through these types.
 */
interface PageElement { textContent: string | null; value: string; getAttribute(name: string): string | null }
interface PageDocument { getElementById(id: string): PageElement | null; querySelectorAll(selector: string): Iterable<PageElement> }
type InPage = { document: PageDocument };

/** What the page shows, read from its DOM. */
interface PageView { nodes: string[]; completed: number; coverage: string[]; owners: string[]; servedBy: string }
const view = (page: Page): Promise<PageView> => page.evaluate(() => {
  const document = (globalThis as unknown as InPage).document;
  return {
    nodes: [...document.querySelectorAll('#nodes tbody tr[data-node]')].map((tr) => tr.getAttribute('data-node') ?? ''),
    completed: Number((document.getElementById('count-completed')?.textContent ?? '0').replace(/[^0-9]/g, '') || 0),
    coverage: [...document.querySelectorAll('[data-coverage]')].map((e) => e.getAttribute('data-coverage') ?? ''),
    owners: [...document.querySelectorAll('.shard[data-shard]')].map((e) => e.getAttribute('data-owner') ?? ''),
    servedBy: document.getElementById('served-by')?.textContent ?? '',
  };
});

describeRequiring(missingBrowser, 'the dashboard in a browser', () => {
  let pc: ProcessCluster;
  let browser: Browser | undefined;
  let page: Page;
  let load: ChaosLoad | undefined;
  let victim: ClusterNode | undefined;
  const accepted: string[] = [];

  const waitForView = async (ok: (v: PageView) => boolean, timeoutMs: number): Promise<PageView> => {
    let last = await view(page);
    for (const deadline = Date.now() + timeoutMs; !ok(last); last = await view(page)) {
      if (Date.now() > deadline) throw new Error(`the page did not get there within ${timeoutMs} ms; it shows ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return last;
  };

  beforeAll(async () => {
    pc = await startProcessCluster({
      nodes: 3, partitions: PARTITIONS,
      env: { KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), KAFKA_HEARTBEAT_INTERVAL_MS: '300' },
      // A few tens of ms per step, so orders are seen in flight between their states.
      downstreamLatency: [{ target: '*', fixedMs: 20, jitterMs: 30 }],
    });
    browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    await page.goto(`http://${pc.cluster.nodes[0]!.adminAddress}/`, { waitUntil: 'load' });
    // Orders enter through the nodes that stay up, so PlaceOrder itself never waits on the kill.
    load = startChaosLoad({
      nodes: () => pc.cluster.nodes.filter((n) => n !== victim && n !== pc.cluster.nodes[2]), token: (c) => pc.token(c),
      orders: 2_000, ratePerSec: 6, onAccepted: (p) => accepted.push(p.orderId!),
    });
  }, 150_000);
  afterAll(async () => {
    load?.stop();
    await browser?.close().catch(() => undefined);
    await pc?.stop();
  }, 60_000);

  it('asks for a token and shows no cluster data until an operator or admin token is given', { timeout: 30_000 }, async () => {
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.getElementById('auth-state')?.getAttribute('data-auth') === 'refused', { timeout: 10_000 });
    expect((await view(page)).nodes).toEqual([]);
    // Typed once: the page keeps it for the tab and sends it with every API call from now on.
    await page.type('#token', await pc.token('ops', 'admin'));
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.getElementById('auth-state')?.getAttribute('data-auth') === 'ok', { timeout: 10_000 });
  });

  it('shows 3 nodes owning every shard once, and completed orders rising while orders flow', { timeout: 60_000 }, async () => {
    const ids = pc.cluster.nodes.map((n) => n.id).sort();
    const first = await waitForView((v) => v.nodes.length === 3 && v.coverage.join() === 'complete' && v.completed > 0, 30_000);
    expect(first.nodes).toEqual(ids);
    expect(first.servedBy).toBe(pc.cluster.nodes[0]!.id);
    expect(first.owners).toHaveLength(PARTITIONS);
    expect(first.owners.every((o) => ids.includes(o))).toBe(true);
    const later = await waitForView((v) => v.completed >= first.completed + 5, 20_000);
    expect(later.completed).toBeGreaterThan(first.completed);
  });

  it('injects a downstream fault through the admin form, and shows an order\'s timeline with its writer', { timeout: 60_000 }, async () => {
    await page.select('#fault-target', 'payments.Capture');
    await page.select('#fault-kind', 'UNAVAILABLE');
    await page.$eval('#fault-rate', (e) => { (e as unknown as PageElement).value = '0.5'; });
    await page.$eval('#fault-first', (e) => { (e as unknown as PageElement).value = '1'; });
    await page.click('#faults button[type=submit]');
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.getElementById('admin-result')?.textContent?.startsWith('done'), { timeout: 10_000 });
    await page.waitForFunction(() => Number((globalThis as unknown as InPage).document.getElementById('saved-by-retry')?.textContent?.replace(/[^0-9]/g, '') || 0) > 0, { timeout: 30_000, polling: 200 });

    await page.type('#order-id', accepted[0]!);
    await page.click('#search button[type=submit]');
    await page.waitForSelector('#timeline-table tbody tr', { timeout: 10_000 });
    const rows = await page.$$eval('#timeline-table tbody tr', (trs) => trs.map((tr) => ({ writer: tr.getAttribute('data-writer'), type: tr.querySelector('td.type')?.textContent })));
    expect(rows[0]?.type).toBe('OrderPlaced');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((r) => pc.cluster.nodes.some((n) => n.id === r.writer))).toBe(true);

    if (process.env.UPDATE_SCREENSHOT === '1') {
      await mkdir(projectPath('docs'), { recursive: true });
      await page.screenshot({ path: projectPath('docs', 'dashboard.png'), fullPage: true });
      console.log('saved docs/dashboard.png');
    }
  });

  it(`shows the shards of a SIGKILLed node owned by the other two within ${FAILOVER_BOUND_MS / 1000} s`, { timeout: 60_000 }, async () => {
    victim = pc.cluster.nodes[2]!;
    const survivors = pc.cluster.nodes.filter((n) => n !== victim).map((n) => n.id).sort();
    const killedAt = Date.now();
    await pc.cluster.kill(victim);
    const after = await waitForView((v) => v.nodes.join() === survivors.join() && v.coverage.join() === 'complete'
      && v.owners.length === PARTITIONS && v.owners.every((o) => survivors.includes(o)), 30_000);
    const tookMs = Date.now() - killedAt;
    console.log(`dashboard showed ${victim.id}'s shards taken over ${tookMs} ms after SIGKILL`);
    expect(after.nodes).toEqual(survivors);
    expect(tookMs).toBeLessThanOrEqual(FAILOVER_BOUND_MS);
    const before = after.completed;
    await waitForView((v) => v.completed > before, 20_000);
  });
});
