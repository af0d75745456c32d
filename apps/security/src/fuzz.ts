import type { Parameters } from 'fast-check';

/**
 * The seed every property run starts from: fixed, so CI runs the same cases every time and a
 * failure reproduces. `FUZZ_SEED` overrides it for a local exploration run.
 */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 42);

/**
 * Multiplies every property's run budget (`FUZZ_RUNS_FACTOR=10` for a longer local run). The
 * default budget keeps the whole package's test run well under a minute.
 */
export const FUZZ_RUNS_FACTOR = Number(process.env.FUZZ_RUNS_FACTOR ?? 1);

/**
 * fast-check parameters with the fixed seed and `numRuns` (times {@link FUZZ_RUNS_FACTOR}).
 *
 * @example
 * ```ts
 * fc.assert(fc.property(fc.string(), check), fuzzParameters(500));
 * ```
 */
export function fuzzParameters<T>(numRuns: number): Parameters<T> {
  return {
    seed: FUZZ_SEED,
    numRuns: Math.max(1, Math.round(numRuns * FUZZ_RUNS_FACTOR)),
    // Report the smallest counterexample with the path to replay it.
    verbose: 1,
  };
}
