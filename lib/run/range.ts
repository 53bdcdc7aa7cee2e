/** Two bounds of a figure, low ≤ high. A cost's high bound comes from the low throughput: it is the conservative figure. */
export interface Range {
  readonly low: number;
  readonly high: number;
}

export function range(a: number, b: number): Range {
  return { low: Math.min(a, b), high: Math.max(a, b) };
}

export function scale(r: Range, factor: number): Range {
  return range(r.low * factor, r.high * factor);
}

export function sum(ranges: readonly Range[]): Range {
  return ranges.reduce((acc, r) => ({ low: acc.low + r.low, high: acc.high + r.high }), { low: 0, high: 0 });
}

export function fixed(value: number): Range {
  return { low: value, high: value };
}
