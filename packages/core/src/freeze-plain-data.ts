/** Most nodes walked in one value; a larger (or cyclic) value is not plain data here. */
const MAX_WALK_NODES = 4_096;
/** Characters counted for a number, boolean or null: at least its JSON form. */
const SCALAR_CHARS = 24;

/**
 * Walks a JSON-like value once: freezes it (`freeze`) or checks it is frozen, and returns an
 * upper estimate of the length of its JSON form (a string's length + 2, a key's + 4, 24 per
 * other scalar, 2 per object or array, 1 per element) without serialising it. Returns -1 for
 * anything that is not plain data (a function, symbol, bigint, class instance), a value not
 * frozen when `freeze` is false, or a value larger than {@link MAX_WALK_NODES} nodes.
 */
function walk(value: unknown, freeze: boolean): number {
  let nodes = 0;
  let chars = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (++nodes > MAX_WALK_NODES) return -1;
    switch (typeof v) {
      case 'string':
        chars += v.length + 2;
        continue;
      case 'number':
      case 'boolean':
      case 'undefined':
        chars += SCALAR_CHARS;
        continue;
      case 'object':
        break;
      default:
        return -1;
    }
    if (v === null) {
      chars += SCALAR_CHARS;
      continue;
    }
    const proto = Object.getPrototypeOf(v);
    const isArray = Array.isArray(v);
    if (!isArray && proto !== Object.prototype && proto !== null) return -1;
    if (freeze) Object.freeze(v);
    else if (!Object.isFrozen(v)) return -1;
    chars += 2;
    if (isArray) {
      for (const item of v as unknown[]) {
        chars += 1;
        stack.push(item);
      }
    } else {
      for (const key in v as Record<string, unknown>) {
        chars += key.length + 4;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return chars;
}

/**
 * Freezes a JSON-like value in place, all the way down, so a cache can share it instead of
 * copying it; `false` (and possibly partly frozen) when it is not plain data. For values the
 * caller owns and will not mutate, e.g. the claims a verifier just parsed.
 *
 * @example
 * ```ts
 * freezePlainData(payload); // payload and its nested objects are now read-only
 * ```
 */
export function freezePlainData(value: unknown): boolean {
  return walk(value, true) >= 0;
}

/**
 * A read-only copy of `extra` to keep, and an upper estimate of the length of its JSON form;
 * `undefined` when it is not plain data. Values already frozen all the way down (the JWT
 * verifier freezes the claims it produced) are shared as they are; any other is copied
 * (`structuredClone`) and the copy frozen, so a caller mutating its own object never changes a
 * kept one.
 *
 * @example
 * ```ts
 * const kept = frozenExtra(authInfo.extra ?? {}); // { extra, chars } | undefined
 * ```
 */
export function frozenExtra(
  extra: Record<string, unknown>,
): { extra: Record<string, unknown>; chars: number } | undefined {
  const out: Record<string, unknown> = {};
  let chars = 2;
  for (const key in extra) {
    let value = extra[key];
    let size = walk(value, false);
    if (size < 0) {
      try {
        value = structuredClone(value);
      } catch {
        return undefined; // not plain data: do not keep what cannot be copied safely
      }
      size = walk(value, true);
      if (size < 0) return undefined;
    }
    out[key] = value;
    chars += key.length + 4 + size;
  }
  return { extra: Object.freeze(out), chars };
}
