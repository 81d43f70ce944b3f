/// <reference types="node" />
// Writing result files so that an interruption never leaves a half-written one: the text goes
// to a temporary file beside the target, which is then renamed over it (atomic on POSIX).

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Temporary files in flight, removed if the process is interrupted before their rename. */
const pending = new Set<string>();

export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  pending.add(tmp);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } finally {
    pending.delete(tmp);
    rmSync(tmp, { force: true });
  }
}

/** Removes temporary files of writes that did not finish (called on Ctrl-C). */
export function removePendingFiles(): void {
  for (const tmp of pending) rmSync(tmp, { force: true });
  pending.clear();
}
