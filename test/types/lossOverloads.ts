// Type tests for the loss overloads, compiled by `npm run typecheck` (tsconfig includes test/):
// an options object typed with the exported option types, or a reduction typed as the union,
// gives LossValue; literal reductions keep their narrow results; misuse is a compile error.
import {
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
  type CrossEntropyOptions,
  type KlDivergenceOptions,
  type KlReduction,
  type LossValue,
  type LossWithGrad,
  type NllLossOptions,
  type Output,
  type Tensor,
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithGrad,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  binaryCrossEntropyWithLogitsWithGrad,
  crossEntropy,
  crossEntropyBackward,
  crossEntropyWithGrad,
  klDivergence,
  klDivergenceBackward,
  klDivergenceWithGrad,
  nllLoss,
  nllLossBackward,
  nllLossWithGrad,
} from '../../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expect = <T extends true>(_: T): void => undefined;

declare const x: Tensor<Float32Array>;
declare const t: Int32Array;
declare const p: Tensor<Float32Array>;
declare const reduction: 'mean' | 'sum' | 'none';
type X = Tensor<Float32Array>;

// crossEntropy family
const ceOpts: CrossEntropyOptions = { labelSmoothing: 0.1 };
expect<Equal<ReturnType<typeof ceUnion>, LossValue<X>>>(true);
function ceUnion() {
  return crossEntropy(x, t, ceOpts);
}
expect<Equal<typeof ceNum, number>>(true);
const ceNum = crossEntropy(x, t, { labelSmoothing: 0.1 });
expect<Equal<typeof ceNone, Output<X>>>(true);
const ceNone = crossEntropy(x, t, { reduction: 'none' });
expect<Equal<typeof ceU, LossValue<X>>>(true);
const ceU = crossEntropy(x, t, { reduction });
expect<Equal<typeof ceG, LossWithGrad<LossValue<X>, Output<X>>>>(true);
const ceG = crossEntropyWithGrad(x, t, { ...ceOpts, reduction });
expect<Equal<typeof ceGn, LossWithGrad<number, Output<X>>>>(true);
const ceGn = crossEntropyWithGrad(x, t);
expect<Equal<typeof ceB, Output<X>>>(true);
const ceB = crossEntropyBackward(x, t, { ...ceOpts, reduction });
// @ts-expect-error an unknown reduction
crossEntropy(x, t, { reduction: 'avg' });
// @ts-expect-error a misspelt option
crossEntropy(x, t, { labelSmothing: 0.1 });
// @ts-expect-error crossEntropy's loss output is lossOut in WithGrad, and gradOutput is not a loss option
crossEntropy(x, t, { gradOutput: 1 });
// @ts-expect-error a string target
crossEntropy(x, 'cat');

// nllLoss family
const nllOpts: NllLossOptions = { ignoreIndex: 0, reduction };
expect<Equal<typeof nll, LossValue<X>>>(true);
const nll = nllLoss(x, t, nllOpts);
expect<Equal<typeof nllG, LossWithGrad<LossValue<X>, Output<X>>>>(true);
const nllG = nllLossWithGrad(x, t, nllOpts);
expect<Equal<typeof nllB, Output<X>>>(true);
const nllB = nllLossBackward(x, t, nllOpts);
// @ts-expect-error nllLoss has no label smoothing
nllLoss(x, t, { labelSmoothing: 0.1 });

// binary cross-entropies
const bceOpts: BinaryCrossEntropyOptions = { weight: 2 };
expect<Equal<typeof bce, LossValue<X>>>(true);
const bce = binaryCrossEntropy(x, p, bceOpts);
expect<Equal<typeof bceG, LossWithGrad<LossValue<X>, Output<X>>>>(true);
const bceG = binaryCrossEntropyWithGrad(x, p, { reduction });
expect<Equal<typeof bceB, Output<X>>>(true);
const bceB = binaryCrossEntropyBackward(x, p, bceOpts);
const bcelOpts: BinaryCrossEntropyWithLogitsOptions = { posWeight: 2.5, reduction };
expect<Equal<typeof bcel, LossValue<X>>>(true);
const bcel = binaryCrossEntropyWithLogits(x, p, bcelOpts);
expect<Equal<typeof bcelN, number>>(true);
const bcelN = binaryCrossEntropyWithLogits(x, p, { posWeight: 2.5 });
expect<Equal<typeof bcelG, LossWithGrad<LossValue<X>, Output<X>>>>(true);
const bcelG = binaryCrossEntropyWithLogitsWithGrad(x, p, bcelOpts);
expect<Equal<typeof bcelB, Output<X>>>(true);
const bcelB = binaryCrossEntropyWithLogitsBackward(x, p, bcelOpts);
// @ts-expect-error posWeight belongs to the logits form only
binaryCrossEntropy(x, p, { posWeight: 2 });
// @ts-expect-error a string weight
binaryCrossEntropyWithLogits(x, p, { weight: 'heavy' });

// klDivergence family
const kr: KlReduction = 'batchmean';
const klOpts: KlDivergenceOptions = { logTarget: true, reduction: kr };
expect<Equal<typeof kl, LossValue<X>>>(true);
const kl = klDivergence(x, p, klOpts);
expect<Equal<typeof klN, number>>(true);
const klN = klDivergence(x, p, { reduction: 'batchmean' });
expect<Equal<typeof klG, LossWithGrad<LossValue<X>, Output<X>>>>(true);
const klG = klDivergenceWithGrad(x, p, klOpts);
expect<Equal<typeof klB, Output<X>>>(true);
const klB = klDivergenceBackward(x, p, klOpts);
// @ts-expect-error klDivergence has no class weights
klDivergence(x, p, { weight: x });

export { ceNum, ceNone, ceU, ceG, ceGn, ceB, nll, nllG, nllB, bce, bceG, bceB, bcel, bcelN, bcelG, bcelB, kl, klN, klG, klB };
