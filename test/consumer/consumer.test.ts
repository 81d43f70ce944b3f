// The package as a user gets it: packs sigmax (freshly compiled into a staging copy, so the tree's
// dist/ is never touched), installs the tarball into a new project, and checks ESM import,
// require(), tsc in strict node16, bundler and node10 resolution, esbuild and Vite browser bundles
// of every entry (no warnings) run in Chromium, and the smoke suite under Node, Bun and Deno.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = path.join(ROOT, 'node_modules', '.bin');
const CHROMIUM = '/usr/bin/chromium';
const ENTRIES = ['sigmax', 'sigmax/llm', 'sigmax/wasm', 'sigmax/train', 'sigmax/debug', 'sigmax/tfjs'] as const;
const SOFTMAX_123 = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219];

/** One browser module per entry: it computes something real with that entry and leaves it in globalThis.result. */
const WEB_ENTRY: Record<(typeof ENTRIES)[number], string> = {
  sigmax: `import { setBackend, setThreads, softmax, logSumExp, tensor } from 'sigmax';
import { wasmPoolInfo } from './node_modules/sigmax/dist/backend/wasm/index.js';
globalThis.run = async () => {
  setBackend('wasm');
  const x = tensor(Float32Array.from({ length: 256 * 4096 }, (_, i) => Math.sin(i * 0.37) * 12), [256, 4096]);
  const one = logSumExp(x).data;
  setThreads(2);
  logSumExp(x);
  for (let t = 0; (wasmPoolInfo()?.ready ?? 0) < 1 && t < 200; t++) await new Promise((r) => setTimeout(r, 50));
  const two = logSumExp(x).data;
  const pool = wasmPoolInfo();
  setThreads(1);
  return { softmax: Array.from(softmax([1, 2, 3])), pool, sameBits: one.every((v, i) => Object.is(v, two[i])) };
};`,
  'sigmax/llm': `import { linearCrossEntropy } from 'sigmax/llm';
import { tensor } from 'sigmax';
globalThis.run = async () => ({ loss: linearCrossEntropy(tensor(Float32Array.of(1, 0, 0, 1), [2, 2]), tensor(Float32Array.of(1, 0, 0, 1, 1, 1), [3, 2]), [0, 1]).loss });`,
  'sigmax/wasm': `import { allocFloat32, isWasmFloat32, freeFloat32 } from 'sigmax/wasm';
globalThis.run = async () => { const a = allocFloat32(8); return { inWasm: isWasmFloat32(a), freed: freeFloat32(a) }; };`,
  'sigmax/train': `import { SoftmaxRegression } from 'sigmax/train';
globalThis.run = async () => ({ inputs: new SoftmaxRegression({ inputs: 4, classes: 3 }).inputs });`,
  'sigmax/debug': `import { traceKernels } from 'sigmax/debug';
import { softmax } from 'sigmax';
globalThis.run = async () => ({ kernels: traceKernels(() => softmax(new Float32Array([1, 2, 3]))).kernels });`,
  'sigmax/tfjs': `import { createLosses } from 'sigmax/tfjs';
globalThis.run = async () => ({ createLosses: typeof createLosses });`,
};

/** What each entry's page must answer (the sigmax page also checks its thread pool). */
function checkWeb(entry: string, r: Record<string, unknown>): void {
  if (entry === 'sigmax') {
    assert.deepEqual(r.softmax, SOFTMAX_123);
    const pool = r.pool as { size: number; ready: number; runs: number[] };
    assert.equal(pool.ready, 1, 'the Web Worker started');
    assert.ok(pool.runs[0] > 0, `the worker ran parts: ${JSON.stringify(pool.runs)}`);
    assert.equal(r.sameBits, true);
  } else if (entry === 'sigmax/llm') assert.ok(Math.abs((r.loss as number) - 0.8620) < 1e-3, `loss ${r.loss}`);
  else if (entry === 'sigmax/wasm') assert.deepEqual(r, { inWasm: true, freed: true });
  else if (entry === 'sigmax/train') assert.deepEqual(r, { inputs: 4 });
  else if (entry === 'sigmax/debug') assert.deepEqual(r, { kernels: ['wasm:softmaxF32'] });
  else assert.deepEqual(r, { createLosses: 'function' });
}

const slug = (e: string) => e.replace('/', '-');
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });

const BUN = runtimeBinary('bun');
const DENO = runtimeBinary('deno');

describe('the packed package in a fresh project', { timeout: 600_000 }, () => {
  let tmp = '';
  let app = '';
  let tarball = '';

  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sigmax-consumer-'));
    const stage = path.join(tmp, 'stage');
    mkdirSync(stage);
    run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(stage, 'dist'), '--sourceMap', 'false'], ROOT);
    for (const f of ['package.json', 'README.md', 'LICENSE', 'docs/math.md']) cpSync(path.join(ROOT, f), path.join(stage, f));
    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], stage)) as { filename: string; size: number; unpackedSize: number }[];
    tarball = path.join(tmp, packed[0].filename);
    console.log(`# tarball ${packed[0].filename}: ${packed[0].size} bytes packed, ${packed[0].unpackedSize} unpacked`);
    app = path.join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app);
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('installs sigmax alone: no runtime dependencies, wasm shipped once, no sources or maps', () => {
    const ls = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], app).trim().split('\n').slice(1);
    assert.deepEqual(ls.map((p) => path.relative(app, p)), [path.join('node_modules', 'sigmax')]);
    const files: string[] = [];
    const walk = (d: string) => readdirSync(d).forEach((f) => (statSync(path.join(d, f)).isDirectory() ? walk(path.join(d, f)) : files.push(path.relative(app, path.join(d, f)))));
    walk(path.join(app, 'node_modules', 'sigmax'));
    assert.ok(files.every((f) => !/\.(map|ts)$/.test(f) || f.endsWith('.d.ts')), 'no source maps or TypeScript sources');
    assert.ok(!files.some((f) => f.includes(`${path.sep}src${path.sep}`)), 'no src/');
    const withWasm = files.filter((f) => readFileSync(path.join(app, f), 'utf8').includes('WASM_SHARED_BASE64 = '));
    assert.deepEqual(withWasm.map((f) => path.basename(f)), ['binary.js'], 'the base64 builds in one file');
  });

  test('imports every entry as ESM, and threads work under node --input-type=module', () => {
    cpSync(path.join(ROOT, 'test/runtimes/smoke.mjs'), path.join(app, 'smoke.mjs'));
    const r = spawnSync(process.execPath, ['--input-type=module'], { cwd: app, input: readFileSync(path.join(app, 'smoke.mjs')), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    checkSmoke(JSON.parse(r.stdout.trim().split('\n').pop()!));
  });

  test('requires every entry from CommonJS (require(esm), Node ≥ 20.19)', () => {
    const code = `const { softmax } = require('sigmax');
      const { linearCrossEntropy } = require('sigmax/llm');
      const { allocFloat32 } = require('sigmax/wasm');
      const { SoftmaxRegression } = require('sigmax/train');
      const { traceKernels } = require('sigmax/debug');
      const { createLosses } = require('sigmax/tfjs');
      console.log(JSON.stringify([Array.from(softmax([1, 2, 3])), typeof linearCrossEntropy, allocFloat32(2).length, typeof SoftmaxRegression, typeof traceKernels, typeof createLosses]));`;
    writeFileSync(path.join(app, 'req.cjs'), code);
    const out = JSON.parse(run(process.execPath, ['req.cjs'], app));
    assert.deepEqual(out, [SOFTMAX_123, 'function', 2, 'function', 'function', 'function']);
  });

  test('type-checks a strict consumer under node16, bundler and node10 resolution', () => {
    writeFileSync(path.join(app, 'types.ts'), `import { crossEntropy, softmax, tensor, type Tensor } from 'sigmax';
import { linearCrossEntropy } from 'sigmax/llm';
import { allocFloat32 } from 'sigmax/wasm';
import { SoftmaxRegression } from 'sigmax/train';
import { traceKernels } from 'sigmax/debug';
import { createLosses } from 'sigmax/tfjs';
const p: Float64Array = softmax([1, 2, 3]);
const z: Tensor<Float32Array> = tensor(new Float32Array(6), [2, 3]);
const loss: number = crossEntropy(z, [0, 1]);
// @ts-expect-error a mean loss is a number, not an array
const wrong: Float32Array = crossEntropy(z, [0, 1]);
const a: Float32Array = allocFloat32(4);
const kernels: string[] = traceKernels(() => softmax(z)).kernels;
export const all = [p, loss, wrong, a, kernels, linearCrossEntropy, SoftmaxRegression, createLosses];
`);
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    const common = ['--noEmit', '--strict', '--skipLibCheck', 'false', '--target', 'es2022', '--lib', 'es2022,dom'];
    for (const [module, resolution] of [['node16', 'node16'], ['esnext', 'bundler'], ['commonjs', 'node10']]) {
      const r = spawnSync(process.execPath, [tsc, ...common, '--module', module, '--moduleResolution', resolution, 'types.ts'], { cwd: app, encoding: 'utf8' });
      assert.equal(r.status, 0, `${resolution}: ${r.stdout}${r.stderr}`);
    }
  });

  test('runs the smoke suite with threads on under Bun', { skip: 'missing' in BUN ? BUN.missing : false }, () => {
    checkSmoke(JSON.parse(run((BUN as { bin: string }).bin, ['smoke.mjs'], app).trim().split('\n').pop()!));
  });

  test('runs the smoke suite with threads on under Deno', { skip: 'missing' in DENO ? DENO.missing : false }, () => {
    checkSmoke(JSON.parse(run((DENO as { bin: string }).bin, ['run', '--allow-all', 'smoke.mjs'], app).trim().split('\n').pop()!));
  });

  describe('browser bundles of every entry', { skip: existsSync(CHROMIUM) ? false : `chromium not installed (${CHROMIUM} missing): browser bundles not run; install it with apt-get install -y chromium` }, () => {
    let site: { url: string; close: () => Promise<void> };
    let context: import('playwright-core').BrowserContext;
    let profile = '';

    before(async () => {
      for (const e of ENTRIES) writeFileSync(path.join(app, `web-${slug(e)}.mjs`), WEB_ENTRY[e]);
      site = await serve(app);
      profile = mkdtempSync(path.join(os.tmpdir(), 'sigmax-chromium-'));
      const { chromium } = await import('playwright-core');
      const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
      context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args, headless: true });
    });

    after(async () => {
      await context?.close();
      await site?.close();
      rmSync(profile, { recursive: true, force: true });
    });

    /** Loads `script` (a bundle under the app folder) in a cross-origin isolated page and returns what its run() answers. */
    async function inChromium(script: string): Promise<Record<string, unknown>> {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      try {
        await page.goto(`${site.url}page.html?src=${encodeURIComponent(script)}`);
        await page.waitForFunction('typeof globalThis.run === "function"', undefined, { timeout: 20_000 });
        const r = (await page.evaluate('globalThis.run()')) as Record<string, unknown>;
        assert.deepEqual(errors, []);
        return r;
      } finally {
        await page.close();
      }
    }

    test('esbuild bundles every entry for the browser without warnings, and each runs in Chromium', async () => {
      const esbuild = await import('esbuild');
      for (const e of ENTRIES) {
        const r = await esbuild.build({ entryPoints: [path.join(app, `web-${slug(e)}.mjs`)], bundle: true, platform: 'browser', format: 'esm', minify: true, outfile: path.join(app, 'esbuild', `${slug(e)}.js`), logLevel: 'silent' });
        assert.deepEqual([...r.errors, ...r.warnings], [], e);
        console.log(`# esbuild ${e}: ${statSync(path.join(app, 'esbuild', `${slug(e)}.js`)).size} bytes minified`);
        checkWeb(e, await inChromium(`esbuild/${slug(e)}.js`));
      }
    });

    test('Vite bundles every entry for the browser without warnings (the worker as its own chunk), and each runs in Chromium', async () => {
      const { build, createLogger } = await import('vite');
      const warnings: string[] = [];
      const logger = createLogger('warn');
      logger.warn = (m) => void warnings.push(m);
      logger.warnOnce = (m) => void warnings.push(m);
      const input = Object.fromEntries(ENTRIES.map((e) => [slug(e), path.join(app, `web-${slug(e)}.mjs`)]));
      await build({
        root: app, configFile: false, logLevel: 'warn', customLogger: logger,
        build: { outDir: path.join(app, 'vite'), emptyOutDir: true, target: 'es2022', rollupOptions: { input, output: { entryFileNames: '[name].js' } } },
      });
      assert.deepEqual(warnings, []);
      assert.ok(readdirSync(path.join(app, 'vite', 'assets')).some((f) => f.startsWith('worker')), 'worker.js bundled as a worker chunk');
      for (const e of ENTRIES) {
        console.log(`# vite ${e}: ${statSync(path.join(app, 'vite', `${slug(e)}.js`)).size} bytes minified (entry chunk)`);
        checkWeb(e, await inChromium(`vite/${slug(e)}.js`));
      }
    });
  });
});

/** The smoke suite's answer (test/runtimes/smoke.mjs), the same under every runtime. */
function checkSmoke(r: Record<string, unknown>): void {
  assert.deepEqual(r.softmax, SOFTMAX_123);
  assert.equal(r.sigmoid, 3.720075976020836e-44);
  assert.equal(r.crossEntropy, 0.3185397696491856); // mean of 2.417… − 2 and 2.720… − 2.5
  assert.ok(Math.abs((r.linearCrossEntropy as number) - 0.8620) < 1e-3, `linearCrossEntropy ${r.linearCrossEntropy}`);
  assert.equal(r.wasmArray, true);
  assert.equal(r.trainInputs, 2);
  assert.deepEqual(r.kernels, ['wasm:softmaxF32']);
  const pool = r.pool as { size: number; ready: number; runs: number[] } | null;
  if (os.availableParallelism() > 1) {
    assert.equal(r.threads, 2);
    assert.ok(pool !== null && pool.ready === 1 && pool.runs[0] > 0, `a worker started and ran parts: ${JSON.stringify(pool)}`);
  }
  assert.equal(r.sameBits, true);
}

/**
 * The runtime's binary from its npm package: node_modules/.bin's, or where npm ran no install
 * script (bun's postinstall puts its binary in place), the platform package's own binary.
 */
function runtimeBinary(name: 'bun' | 'deno'): { bin: string } | { missing: string } {
  const candidates = [path.join(BIN, name)];
  const oven = path.join(ROOT, 'node_modules', '@oven');
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch;
  if (name === 'bun' && existsSync(oven)) {
    for (const d of readdirSync(oven).filter((d) => d.startsWith(`bun-${process.platform}-${arch}`))) candidates.push(path.join(oven, d, 'bin', 'bun'));
  }
  let why = '';
  for (const bin of candidates) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0) return { bin };
    why ||= (r.stderr || r.error?.message || '').trim().split('\n')[0];
  }
  return { missing: `${name} from npm gives no working binary here (${why}): its smoke test is skipped` };
}
/** Serves `dir` cross-origin isolated (COOP same-origin, COEP require-corp), so pages get SharedArrayBuffer and threads; page.html loads ?src= as a module. */
async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
    if (url.pathname === '/page.html') {
      const src = JSON.stringify(`./${url.searchParams.get('src') ?? ''}`);
      res.writeHead(200, { ...headers, 'content-type': types['.html'] }).end(`<!doctype html><meta charset="utf-8"><script type="module">import ${src};</script>`);
      return;
    }
    const file = path.join(dir, path.normalize(decodeURIComponent(url.pathname)));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
