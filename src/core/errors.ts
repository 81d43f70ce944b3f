// The one error type sigmax throws for bad input. Non-finite numbers are data, never errors.

/** What kind of bad input an error reports. */
export type SigmaxErrorCode =
  | 'SHAPE_MISMATCH'
  | 'INVALID_AXIS'
  | 'INVALID_TARGET'
  | 'INVALID_OPTION'
  | 'DTYPE_MISMATCH'
  | 'INVALID_INPUT';

/**
 * Thrown for bad input. `code` says what kind; the message names the function, the argument,
 * the position and what was expected versus what was given, e.g.
 * `crossEntropy: target[7] = 12 is out of range for 10 classes (ignoreIndex = -100)`.
 * `INVALID_INPUT` reports finite values outside an op's domain,
 * such as a probability of 1.5 given to binaryCrossEntropy (PyTorch raises there too).
 */
export class SigmaxError extends Error {
  readonly code: SigmaxErrorCode;
  constructor(code: SigmaxErrorCode, message: string) {
    super(message);
    this.name = 'SigmaxError';
    this.code = code;
  }
}

/** Throws a SigmaxError whose message starts with the function's name. */
export function fail(fn: string, code: SigmaxErrorCode, message: string): never {
  throw new SigmaxError(code, `${fn}: ${message}`);
}

/** Formats a value for an error message: strings quoted, arrays shown as shapes. */
export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number' && Object.is(v, -0)) return '-0';
  // a message must never throw: an object without a string form (Object.create(null), a hostile
  // toString or Symbol.toPrimitive) is shown by its tag instead
  try {
    if (Array.isArray(v)) return `[${v.map((e) => (typeof e === 'string' ? e : show(e))).join(', ')}]`;
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
