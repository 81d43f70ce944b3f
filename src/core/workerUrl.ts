// Where a worker module is: its compiled .js beside the calling module, or — run from the
// TypeScript sources (tests under tsx) — the .ts file behind a two-line module that registers tsx
// first, since a worker does not inherit tsx's loader; where tsx is absent the .ts file is loaded
// as it is (Deno, Bun, Node with type stripping).

/** The URL to start the worker `name` (no extension) with, for the module at `here` (its import.meta.url). */
export function workerModuleUrl(here: string, name: string): URL {
  if (!here.endsWith('.ts')) return new URL(`./${name}.js`, here);
  const ts = new URL(`./${name}.ts`, here);
  let loader: string | undefined;
  try {
    loader = (import.meta as { resolve?: (s: string) => string }).resolve?.('tsx/esm/api');
  } catch {
    loader = undefined;
  }
  if (loader === undefined) return ts;
  const code = `import { register } from ${JSON.stringify(loader)};\nregister();\nawait import(${JSON.stringify(ts.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
