// Runs the sigmax command from the sources (node --import tsx packages/sigmax-cli/src/index.ts; tsconfig.json's paths map sigmax to src/) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `sigmax …args` with colours off; `onStdout` sees the output as it arrives. */
export function start(args: readonly string[], onStdout?: (text: string, child: ChildProcess) => void): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/sigmax-cli/src/index.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
    onStdout?.(stdout, child);
  });
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

export function sigmax(...args: string[]): Promise<Run> {
  return start(args).done;
}
