import { describe, expect, it } from 'vitest';
import { ClockMap } from '../src/clock-map.js';

describe('ClockMap', () => {
  it('gets, sets, replaces and deletes like a Map', () => {
    const m = new ClockMap<number>();
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 3); // replaced in place
    expect(m.size).toBe(2);
    expect(m.get('a')).toBe(3);
    expect(m.has('b')).toBe(true);
    expect(m.delete('b')).toBe(true);
    expect(m.delete('b')).toBe(false);
    expect(m.get('b')).toBeUndefined();
    expect([...m.keys()]).toEqual(['a']);
    m.clear();
    expect(m.size).toBe(0);
    expect(m.evict()).toBeUndefined();
  });

  it('evicts entries not used since the hand last passed, giving used ones a second chance', () => {
    const m = new ClockMap<string>();
    for (const k of ['a', 'b', 'c']) m.set(k, k.toUpperCase());
    m.get('a');
    expect(m.evict()).toEqual(['b', 'B']); // a was used: kept once more
    m.set('d', 'D'); // takes b's position
    expect(m.evict()).toEqual(['c', 'C']);
    expect(m.evict()).toEqual(['a', 'A']); // its flag was cleared on the first pass
    expect([...m.keys()]).toEqual(['d']);
  });

  it('evicts when every entry was used (the first turn clears the flags)', () => {
    const m = new ClockMap<number>();
    for (let i = 0; i < 5; i++) m.set(`k${i}`, i);
    for (let i = 0; i < 5; i++) m.get(`k${i}`);
    const evicted = m.evict();
    expect(evicted).toBeDefined();
    expect(m.size).toBe(4);
  });

  it('keeps a hot key through many evictions of cold ones, reusing freed positions', () => {
    const m = new ClockMap<number>();
    for (let i = 0; i < 100; i++) m.set(`k${i}`, i);
    for (let round = 0; round < 1_000; round++) {
      m.get('k50');
      m.evict();
      m.set(`n${round}`, round);
    }
    expect(m.get('k50')).toBe(50);
    expect(m.size).toBe(100);
  });
});
