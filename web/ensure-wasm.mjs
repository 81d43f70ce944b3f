// Run before the explorer's dev server and build: the library's WebAssembly kernels are embedded
// in a generated file (src/backend/wasm/binary.ts, written by `npm run build:wasm`, which
// `npm ci` runs through `prepare`). If it is missing — say after `npm ci --ignore-scripts` —
// build it, so that `npm run explore` works from any fresh clone.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(new URL('../src/backend/wasm/binary.ts', import.meta.url))) {
  console.log('explorer: src/backend/wasm/binary.ts is missing; running npm run build:wasm first');
  execSync('npm run build:wasm', { cwd: root, stdio: 'inherit' });
}
