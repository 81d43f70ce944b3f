// The history window shared by the penalties and DRY: the last lastN tokens of a row's history
// (−1: all of it, 0: none), as llama.cpp's penalty_last_n and dry_penalty_last_n define it.

/** The index in `history` where the window of the last `lastN` tokens starts (history.length when lastN = 0). */
export function windowStart(length: number, lastN: number): number {
  if (lastN < 0) return 0;
  return Math.max(0, length - lastN);
}
