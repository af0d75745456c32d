import { describe, expect, it } from 'vitest';
import {
  createSessionStore,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_SUBJECT,
  DEFAULT_SESSION_TTL_MS,
  type SessionOwner,
  type SessionReservation,
  type SessionStore,
} from '../src/session-binding.js';
import { sessionOwner } from '../src/session-step.js';

const owner = (name: string, client = 'app'): SessionOwner => ({
  key: `${name}/${client}`,
  holder: name,
});

function reserved(store: SessionStore, who: SessionOwner): SessionReservation {
  const room = store.reserve(who);
  if (typeof room !== 'object') throw new Error(`no room: ${room}`);
  return room;
}

describe('createSessionStore', () => {
  it('binds, checks the owner and forgets', () => {
    const store = createSessionStore();
    expect(store.bind('s1', owner('a'))).toBe(true);
    expect(store.isOwner('s1', 'a/app')).toBe(true);
    expect(store.isOwner('s1', 'b/app')).toBe(false);
    expect(store.isOwner('s2', 'a/app')).toBe(false);
    store.forget('s1');
    expect(store.isOwner('s1', 'a/app')).toBe(false);
    expect(store.size).toBe(0);
  });

  it('never rebinds an id to another owner', () => {
    const store = createSessionStore();
    store.bind('s1', owner('a'));
    expect(store.bind('s1', owner('b'))).toBe(false);
    expect(store.isOwner('s1', 'a/app')).toBe(true);
  });

  it("never evicts someone else's live binding: at capacity reserve and bind refuse", () => {
    const store = createSessionStore({ maxSessions: 2 });
    expect(store.bind('s1', owner('a'), reserved(store, owner('a')))).toBe(true);
    expect(store.bind('s2', owner('b'))).toBe(true);
    expect(store.reserve(owner('c'))).toBe('full');
    expect(store.bind('s3', owner('c'))).toBe(false);
    expect(store.isOwner('s1', 'a/app')).toBe(true);
    expect(store.isOwner('s2', 'b/app')).toBe(true);
    store.forget('s1');
    expect(typeof store.reserve(owner('c'))).toBe('object');
  });

  it('counts reservations, gives them back once, and lets unused ones lapse', () => {
    let now = 0;
    const store = createSessionStore({ maxSessions: 1, now: () => now });
    const room = reserved(store, owner('a'));
    expect(store.reserve(owner('b'))).toBe('full');
    store.release(room);
    store.release(room);
    const forgotten = reserved(store, owner('b'));
    expect(store.reserve(owner('c'))).toBe('full');
    now = 60_001; // nobody reported back for a minute (an aborted request)
    expect(typeof store.reserve(owner('c'))).toBe('object');
    // A lapsed reservation no longer carries room: binding with it needs room of its own.
    expect(store.bind('late', owner('b'), forgotten)).toBe(false);
  });

  it('by default a subject at its share is refused until one of its sessions ends', () => {
    const store = createSessionStore({ maxSessionsPerSubject: 2 });
    store.bind('a1', owner('a', 'x'));
    store.bind('a2', owner('a', 'y'));
    expect(store.reserve(owner('a', 'z'))).toBe('subject_full');
    expect(store.bind('a3', owner('a', 'z'))).toBe(false);
    expect(typeof store.reserve(owner('b'))).toBe('object');
    store.forget('a1');
    expect(typeof store.reserve(owner('a', 'z'))).toBe('object');
  });

  it("with 'replace-oldest' a subject beyond its share replaces its own least recently used session, nobody else's", () => {
    const ended: string[] = [];
    const store = createSessionStore({
      maxSessionsPerSubject: 2,
      onSubjectLimit: 'replace-oldest',
      onSessionEnd: (id) => ended.push(id),
    });
    store.bind('a1', owner('a', 'x'));
    store.bind('b1', owner('b'));
    store.bind('a2', owner('a', 'y'));
    expect(store.isOwner('a1', 'a/x')).toBe(true); // a2 is now the least recently used
    expect(store.bind('a3', owner('a', 'z'), reserved(store, owner('a', 'z')))).toBe(true);
    expect(store.isOwner('a2', 'a/y')).toBe(false);
    expect(store.isOwner('a1', 'a/x')).toBe(true);
    expect(store.isOwner('a3', 'a/z')).toBe(true);
    expect(store.isOwner('b1', 'b/app')).toBe(true);
    expect(ended).toEqual(['a2']);
  });

  it('tells the application about expired bindings, not about ones it ended', () => {
    let now = 0;
    const ended: string[] = [];
    const store = createSessionStore({
      ttlMs: 100,
      now: () => now,
      onSessionEnd: (id) => {
        ended.push(id);
        throw new Error('ignored');
      },
    });
    store.bind('gone', owner('x'));
    store.bind('deleted', owner('x'));
    store.forget('deleted');
    now = 200;
    expect(store.isOwner('gone', 'x/app')).toBe(false);
    expect(ended).toEqual(['gone']);
  });

  it('caps the initializes one subject has in flight', () => {
    const store = createSessionStore({ maxSessionsPerSubject: 2 });
    reserved(store, owner('a'));
    reserved(store, owner('a'));
    expect(store.reserve(owner('a'))).toBe('subject_full');
    expect(typeof store.reserve(owner('b'))).toBe('object');
  });

  it("expires after the TTL, refreshed only by its owner's use", () => {
    let now = 0;
    const store = createSessionStore({ ttlMs: 100, maxSessions: 1, now: () => now });
    store.bind('a', owner('x'));
    now = 90;
    expect(store.isOwner('a', 'x/app')).toBe(true);
    now = 180;
    expect(store.isOwner('a', 'y/app')).toBe(false); // a stranger's probe extends nothing
    now = 250;
    expect(store.isOwner('a', 'y/app')).toBe(false);
    now = 291;
    expect(store.isOwner('a', 'x/app')).toBe(false);
    expect(store.size).toBe(0);
  });

  it('sweeps expired bindings when full', () => {
    let now = 0;
    const store = createSessionStore({ ttlMs: 100, maxSessions: 1, now: () => now });
    store.bind('a', owner('x'));
    now = 5000;
    expect(typeof store.reserve(owner('y'))).toBe('object');
    expect(store.size).toBe(0);
  });

  it('has documented defaults', () => {
    expect(DEFAULT_MAX_SESSIONS).toBe(10_000);
    expect(DEFAULT_MAX_SESSIONS_PER_SUBJECT).toBe(32);
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
