import { McpAuthConfigError } from './errors.js';

/**
 * The known name closest to `name`, when `name` looks like a slip of it: the same name in
 * another letter case, or at most two edits (insert, delete, substitute, swap two neighbours)
 * away and no more edits than a third of its length; `undefined` otherwise.
 *
 * @example
 * ```ts
 * closestOptionName('clockTolerence', ['clockTolerance', 'timeout']); // 'clockTolerance'
 * closestOptionName('jwksURI', ['jwksUri']);                          // 'jwksUri'
 * ```
 */
export function closestOptionName(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const other = candidate.toLowerCase();
    if (other === lower) return candidate;
    if (Math.abs(other.length - lower.length) > 2) continue;
    const d = editDistance(lower, other);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= 2 && bestDistance * 3 <= name.length ? best : undefined;
}

/**
 * Throws {@link McpAuthConfigError} for the first own key of `options` that is not in
 * `known`, naming it (with `prefix`, e.g. `issuers[0].`) and suggesting the close known name
 * when there is one: `option "jwt.clockTolerence" is not a known option (did you mean
 * "clockTolerance"?)`. A misspelt option is a mistake even when its value is `undefined`.
 *
 * @example
 * ```ts
 * assertKnownOptions(options, JWT_VERIFIER_OPTION_NAMES, 'jwt.');
 * ```
 */
export function assertKnownOptions(options: object, known: ReadonlySet<string>, prefix = ''): void {
  for (const key of Object.keys(options)) {
    if (known.has(key)) continue;
    const hint = closestOptionName(key, known);
    throw new McpAuthConfigError(
      `${prefix}${key}`,
      hint === undefined
        ? 'is not a known option'
        : `is not a known option (did you mean "${hint}"?)`,
    );
  }
}

/** Optimal string alignment distance (Levenshtein plus swaps of neighbours). */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        (d[(i - 1) * cols + j] as number) + 1,
        (d[i * cols + j - 1] as number) + 1,
        (d[(i - 1) * cols + j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (d[(i - 2) * cols + j - 2] as number) + 1);
      }
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1] as number;
}
