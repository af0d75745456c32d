/** Medians and per-round spreads, as every benchmark here reports them. */

/** The median of `values` (NaN for none). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** A figure measured once per round: the median and the range over the rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The {@link Spread} of per-round `values` (NaN when none is finite). */
export function spread(values: number[]): Spread {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { median: median(finite), min: Math.min(...finite), max: Math.max(...finite) };
}

/** `0.81× (rounds 0.74–0.88)`; `not run` when nothing was measured. */
export function showRatio(s: Spread): string {
  if (!Number.isFinite(s.median)) return 'not run';
  return `${s.median.toFixed(2)}× (rounds ${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

/** `+12.3 µs (rounds +8.0 to +15.1)`; `not run` when nothing was measured. */
export function showMicroseconds(s: Spread): string {
  if (!Number.isFinite(s.median)) return 'not run';
  const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`;
  return `${signed(s.median)} µs (rounds ${signed(s.min)} to ${signed(s.max)})`;
}
