// The inputs the sections share: the sigmoid section's x, the softmax logits and temperature,
// and the cross-entropy target. Sections subscribe to the topics they show.

export type Topic = 'x' | 'z' | 'target';

export const state = {
  /** The logit of the sigmoid section. */
  x: 1,
  /** The logits of the softmax section (3 to 10). */
  z: [2, 1, 0.1, -1] as number[],
  /** The softmax temperature. */
  T: 1,
  /** The true class of the cross-entropy section (0-based). */
  target: 1,
  /** Label smoothing of the cross-entropy section. */
  smoothing: 0,
};

const subscribers: Record<Topic, Set<() => void>> = { x: new Set(), z: new Set(), target: new Set() };

export function on(topics: Topic[], fn: () => void): void {
  for (const tp of topics) subscribers[tp].add(fn);
}

/** Notifies each subscriber once, even if it listens to several of the topics. */
export function emit(...topics: Topic[]): void {
  const fns = new Set<() => void>();
  for (const tp of topics) subscribers[tp].forEach((fn) => fns.add(fn));
  fns.forEach((fn) => fn());
}

/** The soft target y = (1 − ε)·one-hot(t) + ε/C of the cross-entropy section. */
export function targetDistribution(): Float64Array {
  const C = state.z.length;
  const y = new Float64Array(C).fill(state.smoothing / C);
  y[state.target] += 1 - state.smoothing;
  return y;
}

/** Runs fn at most once per animation frame, with the latest state. */
export function perFrame(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}
