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

/** The in-memory {@link SessionStore}; one per `createMcpAuth`. */
class MemorySessionStore implements SessionStore {
  readonly #max: number;
  readonly #perSubject: number;
  readonly #replace: boolean;
  readonly #onSessionEnd: ((sessionId: string) => void) | undefined;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #bindings = new Map<string, Binding>();
  /** Each holder's session ids, least recently used first (Map order, refreshed on use). */
  readonly #byHolder = new Map<string, Map<string, true>>();
  readonly #reservations = new Set<SessionReservation>();
  readonly #pendingByHolder = new Map<string, number>();
  #sweptAt = Number.NEGATIVE_INFINITY;

  constructor(options: SessionStoreOptions) {
    this.#max = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.#perSubject = options.maxSessionsPerSubject ?? DEFAULT_MAX_SESSIONS_PER_SUBJECT;
    this.#replace = options.onSubjectLimit === 'replace-oldest';
    this.#onSessionEnd = options.onSessionEnd;
    this.#ttl = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#bindings.size;
  }

  reserve(owner: SessionOwner): SessionReservation | 'full' | 'subject_full' {
    const t = this.#now();
    if (!this.#roomWithin(owner.holder, t)) return 'subject_full';
    if (!this.#hasRoom(t)) return 'full';
    const reservation = { holder: owner.holder, expires: t + RESERVATION_TTL_MS };
    this.#reservations.add(reservation);
    this.#pendingByHolder.set(owner.holder, this.#pending(owner.holder) + 1);
    return reservation;
  }

  release(reservation: SessionReservation): void {
    this.#unreserve(reservation);
  }

  bind(sessionId: string, owner: SessionOwner, reservation?: SessionReservation): boolean {
    const existing = this.#bindings.get(sessionId);
    const reserved = reservation !== undefined && this.#unreserve(reservation);
    if (existing !== undefined) return existing.key === owner.key;
    const t = this.#now();
    if (!reserved && (!this.#roomWithin(owner.holder, t) || !this.#hasRoom(t))) return false;
    this.#bindings.set(sessionId, { key: owner.key, holder: owner.holder, expires: t + this.#ttl });
    let ids = this.#byHolder.get(owner.holder);
    if (ids === undefined) {
      ids = new Map();
      this.#byHolder.set(owner.holder, ids);
    }
    ids.set(sessionId, true);
    return true;
  }

  isOwner(sessionId: string, key: string): boolean {
    const binding = this.#bindings.get(sessionId);
    if (binding === undefined) return false;
    const t = this.#now();
    if (binding.expires <= t) {
      this.#drop(sessionId, binding);
      return false;
    }
    if (binding.key !== key) return false;
    binding.expires = t + this.#ttl;
    const ids = this.#byHolder.get(binding.holder);
    if (ids !== undefined) {
      ids.delete(sessionId);
      ids.set(sessionId, true);
    }
    return true;
  }

  forget(sessionId: string): void {
    const binding = this.#bindings.get(sessionId);
    if (binding !== undefined) this.#drop(sessionId, binding, false);
  }

  #pending(holder: string): number {
    return this.#pendingByHolder.get(holder) ?? 0;
  }

  #unreserve(r: SessionReservation): boolean {
    if (!this.#reservations.delete(r)) return false;
    const n = this.#pending(r.holder) - 1;
    if (n <= 0) this.#pendingByHolder.delete(r.holder);
    else this.#pendingByHolder.set(r.holder, n);
    return true;
  }

  /** Ends a binding; `ended` when the application did not ask for it (expired, replaced). */
  #drop(sessionId: string, binding: Binding, ended = true): void {
    this.#bindings.delete(sessionId);
    const ids = this.#byHolder.get(binding.holder);
    ids?.delete(sessionId);
    if (ids?.size === 0) this.#byHolder.delete(binding.holder);
    if (!ended || this.#onSessionEnd === undefined) return;
    try {
      this.#onSessionEnd(sessionId);
    } catch {
      // The application's cleanup must not affect the decision.
    }
  }

  #held(holder: string): number {
    return (this.#byHolder.get(holder)?.size ?? 0) + this.#pending(holder);
  }

  /** Drops expired bindings and lapsed reservations, at most once a second. */
  #sweep(t: number): void {
    if (t - this.#sweptAt < 1000) return;
    this.#sweptAt = t;
    for (const [id, binding] of this.#bindings) if (binding.expires <= t) this.#drop(id, binding);
    for (const r of this.#reservations) if (r.expires <= t) this.#unreserve(r);
  }

  #hasRoom(t: number): boolean {
    const used = () => this.#bindings.size + this.#reservations.size;
    if (used() < this.#max) return true;
    this.#sweep(t);
    return used() < this.#max;
  }

  /**
   * Room for one more session of `holder` within its share: there is, or (replace mode) its
   * least recently used sessions make way; false when it holds its share.
   */
  #roomWithin(holder: string, t: number): boolean {
    if (this.#held(holder) < this.#perSubject) return true;
    this.#sweep(t);
    if (!this.#replace) return this.#held(holder) < this.#perSubject;
    for (const id of this.#byHolder.get(holder)?.keys() ?? []) {
      if (this.#held(holder) >= this.#perSubject) {
        const binding = this.#bindings.get(id);
        if (binding !== undefined) this.#drop(id, binding);
      }
    }
    return this.#held(holder) < this.#perSubject;
  }
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
  return new MemorySessionStore(options);
}
