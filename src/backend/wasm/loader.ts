// Loading the kernels: the probes for WebAssembly SIMD and relaxed SIMD, the choice between the
// plain and the relaxed build (switching V8's flag on where Node 20 has relaxed SIMD behind it),
// and instantiating a build over a given memory. Nothing here allocates kernel memory.

import { WASM_BASE64, WASM_RELAXED_BASE64, WASM_SHARED_BASE64, WASM_SHARED_RELAXED_BASE64 } from './binary.js';
import type { WasmExports } from './exports.js';

/** A tiny module using one SIMD instruction: validates only where WebAssembly SIMD exists. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** A tiny module using f32x4.relaxed_madd: validates only where relaxed SIMD is on. */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array<number>(16).fill(0)]),
  253, 133, 2, 11,
]);

let relaxedChoice: boolean | null = null;

/**
 * Whether the kernels use relaxed SIMD (fused multiply-add in the exp): where the engine has it
 * (Chrome ≥ 114, Node ≥ 22, Firefox ≥ 145). Node 20, whose V8 has it complete behind
 * --experimental-wasm-relaxed-simd, gets that flag switched on here; SIGMAX_RELAXED_SIMD=0 in
 * the environment (or setWasmRelaxed(false)) keeps to plain SIMD. Results stay within the same
 * bounds either way; the last bit can differ between the two builds.
 */
export function wasmRelaxed(): boolean {
  if (relaxedChoice !== null) return relaxedChoice;
  relaxedChoice = false;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.SIGMAX_RELAXED_SIMD === '0') return false;
  try {
    if (WebAssembly.validate(RELAXED_PROBE)) return (relaxedChoice = true);
    const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
    const v8 = proc?.versions?.node ? (proc.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (f: string) => void } | undefined) : undefined;
    if (v8?.setFlagsFromString && Number(proc!.versions!.node!.split('.')[0]) < 22) {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      relaxedChoice = WebAssembly.validate(RELAXED_PROBE);
    }
  } catch {
    relaxedChoice = false;
  }
  return relaxedChoice;
}

/** Asks for the relaxed build (true, where available) or the plain one; returns whether the choice changed. */
export function chooseRelaxed(on: boolean): boolean {
  const before = relaxedChoice;
  relaxedChoice = null;
  if (on) wasmRelaxed();
  else relaxedChoice = false;
  return relaxedChoice !== before;
}

/** atob is global in every runtime sigmax supports (Node ≥ 16, Deno, Bun, browsers), so no Node Buffer is needed. */
function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A compiled build and its instance's exports. */
export interface Instance {
  readonly module: WebAssembly.Module;
  readonly exports: WasmExports;
}

/** Compiles and instantiates the build for this memory (shared or not) and the relaxed-SIMD choice. */
export function instantiate(memory: WebAssembly.Memory, shared: boolean): Instance {
  const relaxed = wasmRelaxed();
  const bin = shared ? (relaxed ? WASM_SHARED_RELAXED_BASE64 : WASM_SHARED_BASE64) : relaxed ? WASM_RELAXED_BASE64 : WASM_BASE64;
  const module = new WebAssembly.Module(decodeBase64(bin) as BufferSource);
  const inst = new WebAssembly.Instance(module, { env: { memory, abort: () => { throw new Error('sigmax wasm abort'); } } });
  return { module, exports: inst.exports as unknown as WasmExports };
}
