import { ClockMap } from './clock-map.js';
import type { AuthInfo } from './types.js';

/**
 * Options for {@link createSessionStore}.
 * @example
 * ```ts
 * createSessionStore({ maxSessions: 1000, ttlMs: 60 * 60 * 1000 });
 * ```
 */
export interface SessionStoreOptions {
  /** Most sessions remembered; the least recently used is forgotten first. Default 10 000. */
  maxSessions?: number;
  /** Milliseconds a binding lives after its last use. Default 24 h. */
  ttlMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * A bounded, expiring map from `Mcp-Session-Id` to the subject that opened the session.
 * @example
 * ```ts
 * const store = createSessionStore();
 * store.bind('abc', 'sub:u1');
 * store.owner('abc'); // 'sub:u1'
 * ```
 */
export interface SessionStore {
  /** Records (or refreshes) the owner of a session. */
  bind(sessionId: string, subject: string): void;
  /** The owner of a live session (refreshing its expiry), or `undefined`. */
  owner(sessionId: string): string | undefined;
  /** Forgets a session. */
  forget(sessionId: string): void;
  /** Number of live-or-not-yet-swept entries. */
  readonly size: number;
}

/**
 * Default {@link SessionStoreOptions.maxSessions}.
 * @example
 * ```ts
 * createMcpAuth({ ...options, sessionBinding: { maxSessions: DEFAULT_MAX_SESSIONS * 10 } });
 * ```
 */
export const DEFAULT_MAX_SESSIONS = 10_000;
/**
 * Default {@link SessionStoreOptions.ttlMs}: 24 hours.
 * @example
 * ```ts
 * createMcpAuth({ ...options, sessionBinding: { ttlMs: DEFAULT_SESSION_TTL_MS / 24 } });
 * ```
 */
export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Creates a session-binding store: an LRU map (insertion order of a `Map`, refreshed on
 * use) with a sliding TTL, so memory stays bounded whatever clients do.
 *
 * @example
 * ```ts
 * const sessions = createSessionStore({ maxSessions: 1000 });
 * sessions.bind('abc', 'user-1');
 * sessions.owner('abc'); // 'user-1'
 * ```
 */
export function createSessionStore(options: SessionStoreOptions = {}): SessionStore {
  const max = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const ttl = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const now = options.now ?? Date.now;
  const entries = new ClockMap<{ subject: string; expires: number }>();
  return {
    bind(sessionId, subject) {
      while (entries.size >= max && !entries.has(sessionId) && entries.evict() !== undefined);
      entries.set(sessionId, { subject, expires: now() + ttl });
    },
    owner(sessionId) {
      const entry = entries.get(sessionId);
      if (entry === undefined) return undefined;
      const t = now();
      if (entry.expires <= t) {
        entries.delete(sessionId);
        return undefined;
      }
      entry.expires = t + ttl;
      return entry.subject;
    },
    forget(sessionId) {
      entries.delete(sessionId);
    },
    get size() {
      return entries.size;
    },
  };
}

/**
 * The subject a session is bound to: `sub:<authInfo.extra.sub>` when `sub` is a non-empty
 * string, else `client:<clientId>`, else `undefined` (nothing to bind).
 *
 * @example
 * ```ts
 * sessionSubject({ token: 't', clientId: 'c', scopes: [], extra: { sub: 'u1' } }); // 'sub:u1'
 * ```
 */
export function sessionSubject(authInfo: AuthInfo): string | undefined {
  const sub = authInfo.extra?.sub;
  if (typeof sub === 'string' && sub !== '') return `sub:${sub}`;
  if (authInfo.clientId !== '') return `client:${authInfo.clientId}`;
  return undefined;
}
