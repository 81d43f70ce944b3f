// Classification metrics: the confusion matrix and what evaluate() reports from it.

/** What `evaluate` returns. */
export interface Evaluation {
  /** Rows evaluated. */
  n: number;
  /** Share of rows whose most probable class is the label. */
  accuracy: number;
  /** Mean cross-entropy of the predicted probabilities, in nats (binary cross-entropy for logistic regression). */
  logLoss: number;
  /** confusionMatrix[true][predicted] = number of rows. */
  confusionMatrix: number[][];
  classNames?: string[];
}

/** counts[t][p]: how many rows of true class t were predicted as class p. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  if (truth.length !== predicted.length) throw new RangeError(`confusionMatrix: ${truth.length} labels but ${predicted.length} predictions`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][predicted[i]]++;
  return m;
}

/** Share of equal entries. */
export function accuracy(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (truth.length !== predicted.length) throw new RangeError(`accuracy: ${truth.length} labels but ${predicted.length} predictions`);
  let ok = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) ok++;
  return truth.length === 0 ? NaN : ok / truth.length;
}
