import { describe, expect, it } from 'vitest';
import { isMcpAuthError } from '../src/errors.js';
import { createMemoryStore, isStateStore, prefixStore } from '../src/state-store.js';

describe('createMemoryStore', () => {
  it('setIfAbsent stores once until the entry expires', () => {
    let t = 1000;
    const store = createMemoryStore({ now: () => t });
    expect(store.setIfAbsent('k', 100, 'a')).toBe(true);
    expect(store.setIfAbsent('k', 100, 'b')).toBe(false);
    expect(store.get('k')).toBe('a');
    t += 99;
    expect(store.get('k')).toBe('a');
    t += 1;
    expect(store.get('k')).toBeUndefined();
    expect(store.setIfAbsent('k', 100, 'b')).toBe(true);
    expect(store.get('k')).toBe('b');
  });

  it('stores "1" when no value is given (the DPoP ReplayCache call)', () => {
    const store = createMemoryStore();
    expect(store.setIfAbsent('jti', 1000)).toBe(true);
    expect(store.get('jti')).toBe('1');
  });

  it('touch extends a live entry and never creates one', () => {
    let t = 0;
    const store = createMemoryStore({ now: () => t });
    expect(store.touch('k', 100)).toBe(false);
    expect(store.get('k')).toBeUndefined();
    store.setIfAbsent('k', 100, 'v');
    t = 90;
    expect(store.touch('k', 100)).toBe(true);
    t = 150;
    expect(store.get('k')).toBe('v');
    t = 190;
    expect(store.get('k')).toBeUndefined();
    expect(store.touch('k', 100)).toBe(false);
  });

  it('delete removes an entry', () => {
    const store = createMemoryStore();
    store.setIfAbsent('k', 1000, 'v');
    store.delete('k');
    store.delete('absent');
    expect(store.get('k')).toBeUndefined();
    expect(store.setIfAbsent('k', 1000, 'w')).toBe(true);
  });

  it('never evicts a live entry: full of live entries it refuses with store_unavailable', () => {
    let t = 0;
    const store = createMemoryStore({ maxEntries: 2, now: () => t });
    store.setIfAbsent('a', 10_000);
    store.setIfAbsent('b', 500);
    let error: unknown;
    try {
      store.setIfAbsent('c', 10_000);
    } catch (e) {
      error = e;
    }
    expect(isMcpAuthError(error) && error.code === 'store_unavailable').toBe(true);
    expect(store.setIfAbsent('a', 10_000)).toBe(false); // the replay mark is still there
    t = 2000; // 'b' expired: the sweep makes room
    expect(store.setIfAbsent('c', 10_000)).toBe(true);
  });

  it('rejects a bad maxEntries at construction', () => {
    expect(() => createMemoryStore({ maxEntries: 0 })).toThrow(/maxEntries/);
  });
});

describe('prefixStore', () => {
  it('keeps two uses of one store apart', () => {
    const store = createMemoryStore();
    const jti = prefixStore(store, 'jti:');
    const sessions = prefixStore(store, 'session:');
    expect(jti.setIfAbsent('x', 1000)).toBe(true);
    expect(sessions.setIfAbsent('x', 1000, 'owner')).toBe(true);
    expect(store.get('jti:x')).toBe('1');
    expect(sessions.get('x')).toBe('owner');
    expect(sessions.touch('x', 1000)).toBe(true);
    sessions.delete('x');
    expect(store.get('session:x')).toBeUndefined();
    expect(jti.get('x')).toBe('1');
  });

  it('isStateStore recognises the four methods', () => {
    expect(isStateStore(createMemoryStore())).toBe(true);
    expect(isStateStore({ get() {}, delete() {} })).toBe(false);
    expect(isStateStore(null)).toBe(false);
  });
});
