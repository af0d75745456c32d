import type { AuthInfo } from './types.js';

/**
 * Options for {@link createSessionStore} (and `createMcpAuth`'s `sessionBinding`).
 * @example
 * ```ts
 * createSessionStore({ maxSessions: 1000, maxSessionsPerSubject: 20, ttlMs: 60 * 60 * 1000 });
 * ```
 */
export interface SessionStoreOptions {
  /**
   * Most live bound sessions. A live binding is never evicted to make room: at this number a
   * new session is refused (503 + `Retry-After`) until one ends or expires. Default 10 000.
   */
  maxSessions?: number;
  /**
   * Most live sessions one subject (issuer + `sub`, else issuer + client) may hold, so no single
   * user can fill the store and lock everyone else out. Default 100.
   */
  maxSessionsPerSubject?: number;
  /** Milliseconds a binding lives after its last use (sliding). Default 24 h. */
  ttlMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * Who owns a session: `key` is compared on every request (issuer + subject + client id, so a
 * binding survives token refresh but not another client or issuer); `holder` is what the
 * per-subject limit counts (issuer + subject).
 * @example
 * ```ts
 * const owner: SessionOwner | undefined = sessionOwner(authInfo);
 * ```
 */
export interface SessionOwner {
  readonly key: string;
  readonly holder: string;
}

/**
 * Why {@link SessionStore.reserve} refused: the store is full, or this subject holds its limit.
 * @example
 * ```ts
 * if (store.reserve(owner) === 'subject_full') { ... }
 * ```
 */
export type SessionReservation = 'reserved' | 'full' | 'subject_full';

/**
 * Bindings from `Mcp-Session-Id` to the owner that created the session. Bounded without
 * eviction: room for a new session is reserved before the application creates it, and a
 * binding ends only by {@link SessionStore.forget} or by expiry.
 * @example
 * ```ts
 * const store = createSessionStore();
 * if (store.reserve(owner) === 'reserved') store.bind('abc', owner, true);
 * store.owner('abc') === owner.key; // true
 * ```
 */
export interface SessionStore {
  /** Holds room for one new session of `owner` until {@link SessionStore.bind} or {@link SessionStore.release}. */
  reserve(owner: SessionOwner): SessionReservation;
  /** Gives back a reservation that did not become a session. */
  release(owner: SessionOwner): void;
  /**
   * Binds a new session id to `owner`, using its reservation when `reserved`, else only if there
   * is room. An id already bound is never rebound. True when the binding exists afterwards.
   */
  bind(sessionId: string, owner: SessionOwner, reserved: boolean): boolean;
  /** The owner key of a live session (refreshing its expiry), or `undefined`. */
  owner(sessionId: string): string | undefined;
  /** Ends a binding. */
  forget(sessionId: string): void;
  /** Live-or-not-yet-swept bindings. */
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
 * Default {@link SessionStoreOptions.maxSessionsPerSubject}.
 * @example
 * ```ts
 * createMcpAuth({ ...options, sessionBinding: { maxSessionsPerSubject: DEFAULT_MAX_SESSIONS_PER_SUBJECT / 10 } });
 * ```
 */
export const DEFAULT_MAX_SESSIONS_PER_SUBJECT = 100;
/**
 * Default {@link SessionStoreOptions.ttlMs}: 24 hours.
 * @example
 * ```ts
 * createMcpAuth({ ...options, sessionBinding: { ttlMs: DEFAULT_SESSION_TTL_MS / 24 } });
 * ```
 */
export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

interface Binding {
  key: string;
  holder: string;
  expires: number;
}

/**
 * Creates the in-memory session store. Expired bindings are dropped when looked up and swept
 * when the store or a subject is at its limit (at most once a second, so a client hammering a
 * full store costs no repeated full sweeps).
 *
 * @example
 * ```ts
 * const sessions = createSessionStore({ maxSessions: 1000 });
 * ```
 */
export function createSessionStore(options: SessionStoreOptions = {}): SessionStore {
  const max = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const perSubject = options.maxSessionsPerSubject ?? DEFAULT_MAX_SESSIONS_PER_SUBJECT;
  const ttl = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const now = options.now ?? Date.now;
  const bindings = new Map<string, Binding>();
  /** Bindings plus reservations per holder. */
  const held = new Map<string, number>();
  let reserved = 0;
  let sweptAt = Number.NEGATIVE_INFINITY;

  const count = (holder: string, delta: number) => {
    const n = (held.get(holder) ?? 0) + delta;
    if (n <= 0) held.delete(holder);
    else held.set(holder, n);
  };
  const drop = (sessionId: string, binding: Binding) => {
    bindings.delete(sessionId);
    count(binding.holder, -1);
  };
  const sweep = () => {
    const t = now();
    if (t - sweptAt < 1000) return;
    sweptAt = t;
    for (const [id, binding] of bindings) if (binding.expires <= t) drop(id, binding);
  };
  const room = (holder: string): SessionReservation => {
    if (bindings.size + reserved >= max || (held.get(holder) ?? 0) >= perSubject) {
      sweep();
      if (bindings.size + reserved >= max) return 'full';
      if ((held.get(holder) ?? 0) >= perSubject) return 'subject_full';
    }
    return 'reserved';
  };

  return {
    reserve(owner) {
      const answer = room(owner.holder);
      if (answer === 'reserved') {
        reserved++;
        count(owner.holder, 1);
      }
      return answer;
    },
    release(owner) {
      if (reserved === 0) return;
      reserved--;
      count(owner.holder, -1);
    },
    bind(sessionId, owner, isReserved) {
      const existing = bindings.get(sessionId);
      if (isReserved) this.release(owner);
      if (existing !== undefined) return existing.key === owner.key;
      if (room(owner.holder) !== 'reserved') return false;
      bindings.set(sessionId, { key: owner.key, holder: owner.holder, expires: now() + ttl });
      count(owner.holder, 1);
      return true;
    },
    owner(sessionId) {
      const binding = bindings.get(sessionId);
      if (binding === undefined) return undefined;
      const t = now();
      if (binding.expires <= t) {
        drop(sessionId, binding);
        return undefined;
      }
      binding.expires = t + ttl;
      return binding.key;
    },
    forget(sessionId) {
      const binding = bindings.get(sessionId);
      if (binding !== undefined) drop(sessionId, binding);
    },
    get size() {
      return bindings.size;
    },
  };
}

/**
 * The owner a session is bound to: issuer + subject (`sub`, else the client id) + client id, so
 * a `sub` from one issuer never matches the same `sub` from another (RFC 7519 §4.1.2: `sub` is
 * unique within its issuer). `undefined` when the token names neither a subject nor a client:
 * such a token cannot open a bound session.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1.2
 * @example
 * ```ts
 * sessionOwner({ token: 't', clientId: 'c', scopes: [], extra: { iss: 'https://as', sub: 'u1' } });
 * // { key: '["https://as","sub","u1","c"]', holder: '["https://as","sub","u1"]' }
 * ```
 */
export function sessionOwner(authInfo: AuthInfo): SessionOwner | undefined {
  const extra = authInfo.extra;
  const iss = typeof extra?.iss === 'string' ? extra.iss : '';
  const sub = extra?.sub;
  const clientId = typeof authInfo.clientId === 'string' ? authInfo.clientId : '';
  let holder: string[];
  if (typeof sub === 'string' && sub !== '') holder = [iss, 'sub', sub];
  else if (clientId !== '') holder = [iss, 'client', clientId];
  else return undefined;
  return { key: JSON.stringify([...holder, clientId]), holder: JSON.stringify(holder) };
}
