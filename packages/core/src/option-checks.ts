import { McpAuthConfigError } from './errors.js';

/**
 * Small checks for option values, each throwing {@link McpAuthConfigError} naming the option
 * and the rule. An `undefined` value passes every check except {@link requireString}: options
 * are optional unless a check says otherwise.
 */

/** A plain object (not an array, not `null`). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A whole number ≥ `min`. */
export function isIntegerAtLeast(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** Throws `McpAuthConfigError(option, rule)` unless `value` is undefined or `ok(value)`. */
export function check(value: unknown, option: string, ok: (v: unknown) => boolean, rule: string) {
  if (value !== undefined && !ok(value)) throw new McpAuthConfigError(option, rule);
}

/** A required string. */
export function requireString(value: unknown, option: string, rule: string): void {
  if (typeof value !== 'string') throw new McpAuthConfigError(option, rule);
}

/** An optional whole number in `[min, max]`. */
export function checkInteger(value: unknown, option: string, min: number, max?: number): void {
  const rule =
    max === undefined
      ? `must be a whole number of at least ${min}`
      : `must be a whole number from ${min} to ${max}`;
  check(value, option, (v) => isIntegerAtLeast(v, min) && (max === undefined || v <= max), rule);
}

/** An optional function. */
export function checkFunction(value: unknown, option: string): void {
  check(value, option, (v) => typeof v === 'function', 'must be a function');
}

/** An optional one of `choices`. */
export function checkChoice(value: unknown, option: string, choices: readonly string[]): void {
  check(
    value,
    option,
    (v) => typeof v === 'string' && choices.includes(v),
    `must be ${choices.map((c) => `'${c}'`).join(' or ')}`,
  );
}

/**
 * An optional list whose items pass `ok`: `list` is the rule for a non-list, `item` the rule
 * for a bad item, named with its index (`cors.allowedOrigins[2]`).
 */
export function checkList(
  value: unknown,
  option: string,
  ok: (item: unknown) => boolean,
  rules: { list: string; item: string; nonEmpty?: string },
): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new McpAuthConfigError(option, rules.list);
  if (rules.nonEmpty !== undefined && value.length === 0) {
    throw new McpAuthConfigError(option, rules.nonEmpty);
  }
  value.forEach((item, i) => {
    if (!ok(item)) throw new McpAuthConfigError(`${option}[${i}]`, rules.item);
  });
}
