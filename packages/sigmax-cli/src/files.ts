/// <reference types="node" />
// Writing result files so that an interruption never leaves a half-written one: the text goes
// to a temporary file beside the target, which is then renamed over it (atomic on POSIX). Output
// paths are checked before a command starts its work, so a bad one costs nothing.

import { accessSync, constants, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './ui.js';

/** The path's status, or undefined where it cannot be read (missing, or under a file: ENOTDIR). */
function stat(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Checks that `path` (the value of `flag`) can be written by writeFileAtomic: not empty, not an
 * existing directory, in an existing directory this process may write to. Throws UsageError.
 */
export function checkOutputPath(flag: string, path: string): void {
  if (path.trim() === '') throw new UsageError(`${flag} needs a file name, got ''`);
  const full = resolve(path);
  const exists = stat(full);
  if (exists?.isDirectory() || path.endsWith('/')) throw new UsageError(`${flag} '${path}' is a directory; name a file in it`);
  const dir = dirname(full);
  const d = stat(dir);
  if (d === undefined) throw new UsageError(`${flag} '${path}': the directory ${dir} does not exist`);
  if (!d.isDirectory()) throw new UsageError(`${flag} '${path}': ${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`${flag} '${path}': the directory ${dir} is not writable`);
  }
}

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
