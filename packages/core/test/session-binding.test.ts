import { describe, expect, it } from 'vitest';
import {
  createSessionStore,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_TTL_MS,
  sessionSubject,
} from '../src/session-binding.js';

describe('createSessionStore', () => {
  it('binds, looks up and forgets', () => {
    const store = createSessionStore();
    store.bind('s1', 'sub:a');
    expect(store.owner('s1')).toBe('sub:a');
    expect(store.owner('s2')).toBeUndefined();
    store.forget('s1');
    expect(store.owner('s1')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('evicts the least recently used beyond maxSessions', () => {
    const store = createSessionStore({ maxSessions: 2 });
    store.bind('a', 'x');
    store.bind('b', 'y');
    expect(store.owner('a')).toBe('x'); // refresh a
    store.bind('c', 'z');
    expect(store.size).toBe(2);
    expect(store.owner('b')).toBeUndefined();
    expect(store.owner('a')).toBe('x');
    expect(store.owner('c')).toBe('z');
  });

  it('expires after the TTL, refreshed on use', () => {
    let now = 0;
    const store = createSessionStore({ ttlMs: 100, now: () => now });
    store.bind('a', 'x');
    now = 90;
    expect(store.owner('a')).toBe('x');
    now = 180;
    expect(store.owner('a')).toBe('x');
    now = 281;
    expect(store.owner('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('has documented defaults', () => {
    expect(DEFAULT_MAX_SESSIONS).toBe(10_000);
    expect(DEFAULT_SESSION_TTL_MS).toBe(86_400_000);
  });
});

describe('sessionSubject', () => {
  it('prefers sub, then client id, else nothing', () => {
    expect(sessionSubject({ token: 't', clientId: 'c', scopes: [], extra: { sub: 'u' } })).toBe(
      'sub:u',
    );
    expect(sessionSubject({ token: 't', clientId: 'c', scopes: [], extra: { sub: '' } })).toBe(
      'client:c',
    );
    expect(sessionSubject({ token: 't', clientId: 'c', scopes: [] })).toBe('client:c');
    expect(sessionSubject({ token: 't', clientId: '', scopes: [] })).toBeUndefined();
  });
});
