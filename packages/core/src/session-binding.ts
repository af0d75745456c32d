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
   * Most live bound sessions. A live binding is never evicted to make room for someone else:
   * at this number a new session is refused (503 + `Retry-After`) until one ends or expires.
   * Default 10 000.
   */
  maxSessions?: number;
  /**
   * Most live sessions one subject (issuer + `sub`, else issuer + client) holds, so no subject
   * can take more than its share of `maxSessions`. Default 32. What a subject's next
   * `initialize` gets is {@link SessionStoreOptions.onSubjectLimit}.
   */
  maxSessionsPerSubject?: number;
  /**
   * At `maxSessionsPerSubject`: `'refuse'` (default) answers the next `initialize` with 503 +
   * `Retry-After` until one of the subject's sessions ends (a `DELETE`, or the TTL);
   * `'replace-oldest'` ends the subject's least recently used binding instead — for clients
   * that never send `DELETE` (the SDK's `Client.close()` does not) — and then requires
   * {@link SessionStoreOptions.onSessionEnd}, so the application closes that session's
   * transport rather than keep it forever.
   */
  onSubjectLimit?: 'refuse' | 'replace-oldest';
  /**
   * Called with a session id whose binding the core ended without the application's say: it
   * expired (noticed on its next use or when the store sweeps) or was replaced
   * (`onSubjectLimit: 'replace-oldest'`). Close the application's transport for it there;
   * every later request on that id gets the 404 anyway. Exceptions are ignored.
   */
  onSessionEnd?: (sessionId: string) => void;
  /** Milliseconds a binding lives after its last use by its owner (sliding). Default 24 h. */
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
 * Room held for one session that an `initialize` in flight may create. Opaque; it lapses on its
 * own after a minute if it is neither used nor given back.
 * @example
 * ```ts
 * const room = store.reserve(owner);
 * if (typeof room === 'object') store.bind('abc', owner, room);
 * ```
 */
export interface SessionReservation {
  readonly holder: string;
  readonly expires: number;
}

/**
 * Bindings from `Mcp-Session-Id` to the owner that created the session. Bounded without
 * evicting anyone else's binding: room is reserved before the application creates a session,
 * and a binding ends by {@link SessionStore.forget}, by expiry, or when its own subject opens
 * more than its share.
 * @example
 * ```ts
 * const store = createSessionStore();
 * const room = store.reserve(owner);
 * if (typeof room === 'object') store.bind('abc', owner, room);
 * store.isOwner('abc', owner.key); // true
 * ```
 */
export interface SessionStore {
  /**
   * Holds room for one new session of `owner` until {@link SessionStore.bind} or
   * {@link SessionStore.release}: `'full'` when `maxSessions` sessions are live or reserved,
   * `'subject_full'` when `owner`'s subject holds its share (live or reserved) and cannot, or
   * may not, replace its oldest session.
   */
  reserve(owner: SessionOwner): SessionReservation | 'full' | 'subject_full';
  /** Gives back a reservation that did not become a session (once; later calls do nothing). */
  release(reservation: SessionReservation): void;
  /**
   * Binds a new session id to `owner`, using `reservation` when given, else only if there is
   * room. An id already bound is never rebound. True when `owner` holds the binding afterwards.
   */
  bind(sessionId: string, owner: SessionOwner, reservation?: SessionReservation): boolean;
  /**
   * True when `sessionId` is live and bound to `key`; that use (and only a use by the owner)
   * extends its life. Anyone else's probe changes nothing.
   */
  isOwner(sessionId: string, key: string): boolean;
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
 * createMcpAuth({ ...options, sessionBinding: { maxSessionsPerSubject: DEFAULT_MAX_SESSIONS_PER_SUBJECT * 2 } });
 * ```
 */
export const DEFAULT_MAX_SESSIONS_PER_SUBJECT = 32;
/**
 * Default {@link SessionStoreOptions.ttlMs}: 24 hours.
 * @example
 * ```ts
 * createMcpAuth({ ...options, sessionBinding: { ttlMs: DEFAULT_SESSION_TTL_MS / 24 } });
 * ```
 */
export const DEFAULT_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

/** How long a reservation holds its room when nobody reports back (an aborted request). */
const RESERVATION_TTL_MS = 60_000;

interface Binding {
  key: string;
  holder: string;
  expires: number;
}

/**
 * Creates the in-memory session store. Expired bindings and lapsed reservations are dropped
 * when looked up and swept when the store is full (at most once a second, so a client
 * hammering a full store costs no repeated full sweeps).
 *
 * @example
 * ```ts
 * const sessions = createSessionStore({ maxSessions: 1000 });
 * ```
 */
export function createSessionStore(options: SessionStoreOptions = {}): SessionStore {
  const max = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  const perSubject = options.maxSessionsPerSubject ?? DEFAULT_MAX_SESSIONS_PER_SUBJECT;
  const replace = options.onSubjectLimit === 'replace-oldest';
  const onSessionEnd = options.onSessionEnd;
  const ttl = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const now = options.now ?? Date.now;
  const bindings = new Map<string, Binding>();
  /** Each holder's session ids, least recently used first (Map order, refreshed on use). */
  const byHolder = new Map<string, Map<string, true>>();
  const reservations = new Set<SessionReservation>();
  const pendingByHolder = new Map<string, number>();
  let sweptAt = Number.NEGATIVE_INFINITY;

  const pending = (holder: string) => pendingByHolder.get(holder) ?? 0;
  const unreserve = (r: SessionReservation) => {
    if (!reservations.delete(r)) return false;
    const n = pending(r.holder) - 1;
    if (n <= 0) pendingByHolder.delete(r.holder);
    else pendingByHolder.set(r.holder, n);
    return true;
  };
  /** Ends a binding; `ended` when the application did not ask for it (expired, replaced). */
  const drop = (sessionId: string, binding: Binding, ended = true) => {
    bindings.delete(sessionId);
    const ids = byHolder.get(binding.holder);
    ids?.delete(sessionId);
    if (ids?.size === 0) byHolder.delete(binding.holder);
    if (!ended || onSessionEnd === undefined) return;
    try {
      onSessionEnd(sessionId);
    } catch {
      // The application's cleanup must not affect the decision.
    }
  };
  const held = (holder: string) => (byHolder.get(holder)?.size ?? 0) + pending(holder);
  const sweep = (t: number) => {
    if (t - sweptAt < 1000) return;
    sweptAt = t;
    for (const [id, binding] of bindings) if (binding.expires <= t) drop(id, binding);
    for (const r of reservations) if (r.expires <= t) unreserve(r);
  };
  const used = () => bindings.size + reservations.size;
  const hasRoom = (t: number) => {
    if (used() < max) return true;
    sweep(t);
    return used() < max;
  };
  /**
   * Room for one more session of `holder` within its share: there is, or (replace mode) its
   * least recently used sessions make way; false when it holds its share.
   */
  const roomWithin = (holder: string, t: number) => {
    if (held(holder) < perSubject) return true;
    sweep(t);
    if (!replace) return held(holder) < perSubject;
    const ids = byHolder.get(holder);
    for (const id of ids?.keys() ?? []) {
      if (held(holder) < perSubject) break;
      const binding = bindings.get(id);
      if (binding !== undefined) drop(id, binding);
    }
    return held(holder) < perSubject;
  };

  return {
    reserve(owner) {
      const t = now();
      if (!roomWithin(owner.holder, t)) return 'subject_full';
      if (!hasRoom(t)) return 'full';
      const reservation = { holder: owner.holder, expires: t + RESERVATION_TTL_MS };
      reservations.add(reservation);
      pendingByHolder.set(owner.holder, pending(owner.holder) + 1);
      return reservation;
    },
    release(reservation) {
      unreserve(reservation);
    },
    bind(sessionId, owner, reservation) {
      const existing = bindings.get(sessionId);
      const reserved = reservation !== undefined && unreserve(reservation);
      if (existing !== undefined) return existing.key === owner.key;
      const t = now();
      if (!reserved && (!roomWithin(owner.holder, t) || !hasRoom(t))) return false;
      bindings.set(sessionId, { key: owner.key, holder: owner.holder, expires: t + ttl });
      let ids = byHolder.get(owner.holder);
      if (ids === undefined) {
        ids = new Map();
        byHolder.set(owner.holder, ids);
      }
      ids.set(sessionId, true);
      return true;
    },
    isOwner(sessionId, key) {
      const binding = bindings.get(sessionId);
      if (binding === undefined) return false;
      const t = now();
      if (binding.expires <= t) {
        drop(sessionId, binding);
        return false;
      }
      if (binding.key !== key) return false;
      binding.expires = t + ttl;
      const ids = byHolder.get(binding.holder);
      if (ids !== undefined) {
        ids.delete(sessionId);
        ids.set(sessionId, true);
      }
      return true;
    },
    forget(sessionId) {
      const binding = bindings.get(sessionId);
      if (binding !== undefined) drop(sessionId, binding, false);
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
