import { describe, expect, it } from 'vitest';
import {
  createSessionStore,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_SUBJECT,
  DEFAULT_SESSION_TTL_MS,
  type SessionOwner,
  sessionOwner,
} from '../src/session-binding.js';

const owner = (name: string, client = 'app'): SessionOwner => ({
  key: `${name}/${client}`,
  holder: name,
});

describe('createSessionStore', () => {
  it('binds, looks up and forgets', () => {
    const store = createSessionStore();
    expect(store.bind('s1', owner('a'), false)).toBe(true);
    expect(store.owner('s1')).toBe('a/app');
    expect(store.owner('s2')).toBeUndefined();
    store.forget('s1');
    expect(store.owner('s1')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('never rebinds an id to another owner', () => {
    const store = createSessionStore();
    store.bind('s1', owner('a'), false);
    expect(store.bind('s1', owner('b'), false)).toBe(false);
    expect(store.owner('s1')).toBe('a/app');
  });

  it('never evicts a live binding: at capacity reserve and bind refuse', () => {
    const store = createSessionStore({ maxSessions: 2 });
    expect(store.reserve(owner('a'))).toBe('reserved');
    expect(store.bind('s1', owner('a'), true)).toBe(true);
    expect(store.bind('s2', owner('b'), false)).toBe(true);
    expect(store.reserve(owner('c'))).toBe('full');
    expect(store.bind('s3', owner('c'), false)).toBe(false);
    expect(store.owner('s1')).toBe('a/app');
    expect(store.owner('s2')).toBe('b/app');
    store.forget('s1');
    expect(store.reserve(owner('c'))).toBe('reserved');
  });

  it('counts reservations, and gives them back', () => {
    const store = createSessionStore({ maxSessions: 1 });
    expect(store.reserve(owner('a'))).toBe('reserved');
    expect(store.reserve(owner('b'))).toBe('full');
    store.release(owner('a'));
    expect(store.reserve(owner('b'))).toBe('reserved');
  });

  it('limits the sessions one subject holds, across its clients', () => {
    const store = createSessionStore({ maxSessionsPerSubject: 2 });
    store.bind('s1', owner('a', 'x'), false);
    store.bind('s2', owner('a', 'y'), false);
    expect(store.reserve(owner('a', 'z'))).toBe('subject_full');
    expect(store.reserve(owner('b'))).toBe('reserved');
    store.forget('s1');
    expect(store.reserve(owner('a', 'z'))).toBe('reserved');
  });

  it('expires after the TTL, refreshed on use, and sweeps expired bindings when full', () => {
    let now = 0;
    const store = createSessionStore({ ttlMs: 100, maxSessions: 1, now: () => now });
    store.bind('a', owner('x'), false);
    now = 90;
    expect(store.owner('a')).toBe('x/app');
    now = 180;
    expect(store.owner('a')).toBe('x/app');
    now = 281;
    expect(store.reserve(owner('y'))).toBe('reserved');
    expect(store.owner('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('has documented defaults', () => {
    expect(DEFAULT_MAX_SESSIONS).toBe(10_000);
    expect(DEFAULT_MAX_SESSIONS_PER_SUBJECT).toBe(100);
    expect(DEFAULT_SESSION_TTL_MS).toBe(86_400_000);
  });
});

describe('sessionOwner', () => {
  const info = (extra: Record<string, unknown> | undefined, clientId = 'c') => ({
    token: 't',
    clientId,
    scopes: [],
    ...(extra === undefined ? {} : { extra }),
  });

  it('is issuer + subject + client; the holder is issuer + subject', () => {
    const a = sessionOwner(info({ iss: 'https://as', sub: 'u' }));
    expect(a).toEqual({ key: '["https://as","sub","u","c"]', holder: '["https://as","sub","u"]' });
    const otherIssuer = sessionOwner(info({ iss: 'https://evil', sub: 'u' }));
    const otherClient = sessionOwner(info({ iss: 'https://as', sub: 'u' }, 'd'));
    expect(otherIssuer?.key).not.toBe(a?.key);
    expect(otherClient?.key).not.toBe(a?.key);
    expect(otherClient?.holder).toBe(a?.holder);
  });

  it('falls back to the client id; nothing without either', () => {
    expect(sessionOwner(info({ sub: '' }))?.holder).toBe('["","client","c"]');
    expect(sessionOwner(info(undefined))?.key).toBe('["","client","c","c"]');
    expect(sessionOwner(info(undefined, ''))).toBeUndefined();
    expect(sessionOwner(info({ sub: 42 }, ''))).toBeUndefined();
  });

  it('cannot be confused by separators inside the values', () => {
    const a = sessionOwner(info({ iss: 'a","sub', sub: 'b' }));
    const b = sessionOwner(info({ iss: 'a', sub: 'sub","b' }));
    expect(a?.key).not.toBe(b?.key);
  });
});
