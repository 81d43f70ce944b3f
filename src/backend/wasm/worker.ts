// The thread pool's worker as a module file (pool.ts starts it: Node's, Bun's and Deno's
// worker_threads with execArgv [], or a module Web Worker in browsers, which Vite bundles as its
// own chunk). It imports nothing Node-specific, so it loads under --input-type=module, Bun and Deno.

import { serve, type WorkerInit } from './workerLoop.js';

type Wt = { isMainThread?: boolean; workerData?: Partial<WorkerInit> };
const g = globalThis as unknown as {
  process?: { getBuiltinModule?: (id: string) => unknown };
  addEventListener?: (type: 'message', f: (m: { data: WorkerInit }) => void, o: { once: boolean }) => void;
};
const wt = g.process?.getBuiltinModule?.('node:worker_threads') as Wt | undefined;
if (wt?.isMainThread === false && wt.workerData?.sigmaxPool === true) serve(wt.workerData as WorkerInit);
else g.addEventListener?.('message', (m) => serve(m.data), { once: true });
