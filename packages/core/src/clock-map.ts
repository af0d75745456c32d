interface Slot<V> {
  value: V;
  used: boolean;
  index: number;
}

/**
 * A string-keyed map with CLOCK ("second chance") eviction, an approximation of least-recently
 * used whose hits only set a flag. The obvious LRU on a `Map` (delete and re-set a key on every
 * hit, evict from the front of its iteration order) costs O(size) per operation in V8 once the
 * map is large: ~45 µs a hit at 10 000 entries. Here every operation is O(1) amortized.
 * Internal to the core (token cache, introspection cache, session store).
 *
 * @example
 * ```ts
 * const m = new ClockMap<number>();
 * m.set('a', 1);
 * m.get('a'); // 1, and 'a' survives the next sweep
 * m.evict(); // drops an entry not used since the hand last passed it
 * ```
 */
export class ClockMap<V> {
  readonly #entries = new Map<string, Slot<V>>();
  /** The keys in clock order; `undefined` marks a free position (listed in `#free`). */
  #ring: Array<string | undefined> = [];
  #free: number[] = [];
  #hand = 0;

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The value of `key`, marking it used (kept through the next sweep). */
  get(key: string): V | undefined {
    const slot = this.#entries.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  /** Adds or replaces `key` (a replacement keeps its position and counts as a use). */
  set(key: string, value: V): void {
    const slot = this.#entries.get(key);
    if (slot !== undefined) {
      slot.value = value;
      slot.used = true;
      return;
    }
    const index = this.#free.pop() ?? this.#ring.length;
    this.#ring[index] = key;
    this.#entries.set(key, { value, used: false, index });
  }

  delete(key: string): boolean {
    const slot = this.#entries.get(key);
    if (slot === undefined) return false;
    this.#entries.delete(key);
    this.#ring[slot.index] = undefined;
    this.#free.push(slot.index);
    return true;
  }

  /** Removes and returns one entry not used since the hand last passed it; `undefined` when empty. */
  evict(): [key: string, value: V] | undefined {
    if (this.#entries.size === 0) return undefined;
    // Two turns at most: the first clears every `used` flag it passes.
    for (let steps = 2 * this.#ring.length; steps > 0; steps--) {
      if (this.#hand >= this.#ring.length) this.#hand = 0;
      const key = this.#ring[this.#hand++];
      if (key === undefined) continue;
      const slot = this.#entries.get(key) as Slot<V>;
      if (slot.used) {
        slot.used = false;
        continue;
      }
      this.delete(key);
      return [key, slot.value];
    }
    return undefined;
  }

  clear(): void {
    this.#entries.clear();
    this.#ring = [];
    this.#free = [];
    this.#hand = 0;
  }

  /** The keys, in the order they were first added. */
  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }
}
