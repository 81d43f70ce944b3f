// Runs a suite once per backend of this build, so every backend passes the same tests.
import { describe, before, after } from 'node:test';
import { getBackend, setBackend } from '../../src/index.js';

/** The backends this build ships ('wasm' joins when its kernels exist). */
export const BACKENDS = ['js'] as const;

export function eachBackend(name: string, body: (backend: string) => void): void {
  for (const b of BACKENDS) {
    describe(`${name} [${b}]`, () => {
      let prev: string;
      before(() => {
        prev = getBackend();
        setBackend(b);
      });
      after(() => setBackend(prev as 'js'));
      body(b);
    });
  }
}

/** Moves axis `axis` of a row-major array of shape `shape` to the end. */
export function moveAxisLast(data: ArrayLike<number>, shape: readonly number[], axis: number): { data: Float64Array; shape: number[] } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const n = shape[axis];
  const out = new Float64Array(data.length);
  let k = 0;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) for (let c = 0; c < n; c++) out[k++] = data[o * n * inner + c * inner + i];
  const s = shape.slice();
  s.splice(axis, 1);
  s.push(n);
  return { data: out, shape: s };
}

export const EPS64 = 2 ** -52;
export const EPS32 = 2 ** -23;
