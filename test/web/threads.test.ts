// setThreads in a real browser (Debian's headless Chromium through playwright-core): a page served
// cross-origin isolated (COOP same-origin, COEP require-corp) splits the wasm kernels' rows over
// a Web Worker and gets the same bits as one thread; the same page served without those headers
// has no SharedArrayBuffer, so setThreads(2) quietly stays on one thread with the same results.
// The page (test/web/threads-page/) is built with Vite from the library's sources.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const PAGE = fileURLToPath(new URL('./threads-page', import.meta.url));
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

async function serve(dir: string, isolated: boolean): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(dir, path.normalize(rel));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const headers: Record<string, string> = { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' };
    if (isolated) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the browser's keep-alive connections would hold close() open
      }),
  };
}

interface Outcome {
  isolated: boolean;
  info: { size: number; ready: number; runs: number[] } | null;
  sameFirst: boolean;
  same: boolean;
  waited: number;
}

if (!existsSync(CHROMIUM)) {
  test('setThreads in headless Chromium', { skip: `chromium not installed (${CHROMIUM} missing): browser tests skipped; install it with apt-get install -y chromium` }, () => {});
} else {
  describe('setThreads in headless Chromium', { timeout: 90_000 }, () => {
    let context: BrowserContext;
    let outDir = '';
    let profile = '';

    before(async () => {
      outDir = mkdtempSync(path.join(os.tmpdir(), 'sigmax-threads-page-'));
      profile = mkdtempSync(path.join(os.tmpdir(), 'sigmax-chromium-'));
      const { build } = await import('vite');
      await build({ root: PAGE, base: './', configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true, target: 'es2022' } });
      const { chromium } = await import('playwright-core');
      context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true });
    });

    after(async () => {
      await context?.close();
      rmSync(outDir, { recursive: true, force: true });
      rmSync(profile, { recursive: true, force: true });
    });

    async function run(isolated: boolean): Promise<{ outcome: Outcome; errors: string[] }> {
      const site = await serve(outDir, isolated);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(site.url);
        await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 20_000 });
        const outcome = (await page.evaluate('window.runThreads()')) as Outcome;
        return { outcome, errors };
      } finally {
        await page.close();
        await site.close();
      }
    }

    test('a cross-origin isolated page splits rows over a Web Worker, with the same bits', async () => {
      const { outcome, errors } = await run(true);
      assert.deepEqual(errors, []);
      assert.equal(outcome.isolated, true, 'the page is cross-origin isolated');
      assert.ok(outcome.info, 'a worker pool exists');
      assert.equal(outcome.info.size, 1);
      assert.equal(outcome.info.ready, 1, `the worker started (waited ${outcome.waited} ms)`);
      assert.ok(outcome.info.runs[0] > 0, `the worker ran parts: ${JSON.stringify(outcome.info.runs)}`);
      assert.equal(outcome.sameFirst, true, 'the call before the worker started (on the page thread) has the same bits');
      assert.equal(outcome.same, true, 'the two-thread results have the same bits as one thread');
    });

    test('a page without isolation stays on one thread with the same results', async () => {
      const { outcome, errors } = await run(false);
      assert.deepEqual(errors, []);
      assert.equal(outcome.isolated, false);
      assert.equal(outcome.info, null, 'no pool without SharedArrayBuffer');
      assert.equal(outcome.same, true);
    });
  });
}
