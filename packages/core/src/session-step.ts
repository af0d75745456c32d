import { isMcpAuthError, McpAuthError } from './errors.js';
import type { SessionOwner, SessionReservation, SessionStore } from './session-binding.js';
import type { StateStore } from './state-store.js';
import type { AllowResult, AuthInfo, PlainResponse, ResponseHead, SessionTicket } from './types.js';

/**
 * Session bindings kept in a shared {@link StateStore} besides the instance's own
 * {@link SessionStore}: the shared store is the authority on who owns a session id (any
 * instance may be asked), the local one still counts the sessions this instance opened
 * (`maxSessions`, per subject).
 */
export interface SharedSessions {
  readonly store: StateStore;
  /** Sliding lifetime of a binding, ms. */
  readonly ttlMs: number;
  readonly onSessionEnd: ((sessionId: string) => void) | undefined;
  /** Tells the operator why a request got 503 (once per cause and cooldown); returns the cause. */
  readonly report: (failure: unknown) => string;
}

/** Where a session binding lives in the shared store. */
export const SESSION_KEY_PREFIX = 'session:';

/** `Retry-After` of a 503 caused by the shared store, seconds. */
const STORE_RETRY_AFTER_SECONDS = 5;

/** The error a store failure is reported as (its own, when it is one of ours). */
export function storeFailure(failure: unknown): McpAuthError {
  if (isMcpAuthError(failure) && failure.code === 'store_unavailable') return failure;
  return new McpAuthError('store_unavailable', 'Session state store unavailable; retry later', {
    cause: failure,
    retryAfterSeconds: STORE_RETRY_AFTER_SECONDS,
  });
}

/**
 * Whether a request carrying `sessionId` may go on: only with the token of the owner bound to
 * it. Unknown, expired and foreign ids are all refused alike (the caller answers the SDK's 404),
 * and only the owner's use extends the binding. With a shared store the answer may be a Promise,
 * which rejects when the store cannot answer (the caller fails closed).
 */
export function ownsSession(
  store: SessionStore,
  shared: SharedSessions | undefined,
  sessionId: string,
  authInfo: AuthInfo,
): boolean | Promise<boolean> {
  const owner = sessionOwner(authInfo);
  if (owner === undefined) return false;
  if (shared === undefined) return store.isOwner(sessionId, owner.key);
  const key = SESSION_KEY_PREFIX + sessionId;
  const decide = (value: string | undefined): boolean => {
    if (value !== owner.key) return false;
    // The owner's use slides the binding (everywhere, and in this instance's count). A failed
    // extension only shortens the binding's life, so the request need not wait for it.
    store.isOwner(sessionId, owner.key);
    try {
      const touched = shared.store.touch(key, shared.ttlMs);
      if (touched instanceof Promise) touched.catch(() => undefined);
    } catch {
      // As above.
    }
    return true;
  };
  const value = shared.store.get(key);
  return value instanceof Promise ? value.then(decide) : decide(value);
}

/** Why an allowed request may not open a session: no owner to bind to, or no room. */
export type SessionRefusal = 'no_owner' | 'full' | 'subject_full';

/**
 * The session work an allowed request leaves for its response, decided once everything else
 * allowed it: a `DELETE` on a session may end it; a request without a session id may create one
 * (an `initialize` holds room for it first; anything else is bound only if there is room then).
 * `undefined` when there is nothing to do.
 */
export function sessionTicket(
  store: SessionStore,
  request: { sessionId: string | undefined; httpMethod: string; initialize: boolean },
  authInfo: AuthInfo,
): SessionTicket | SessionRefusal | undefined {
  const { sessionId, httpMethod, initialize } = request;
  if (sessionId !== undefined) {
    return httpMethod === 'DELETE' ? { action: 'close', sessionId, settled: false } : undefined;
  }
  let reservation: SessionReservation | undefined;
  if (initialize) {
    const owner = sessionOwner(authInfo);
    if (owner === undefined) return 'no_owner';
    const room = store.reserve(owner);
    if (typeof room !== 'object') return room;
    reservation = room;
  }
  return { action: 'open', reservation, settled: false };
}

/**
 * Settles an allow result's ticket once the response head is known: binds a session the response
 * created to the token's owner (with its reservation), gives back unused room, and ends a
 * binding only after a 2xx to its `DELETE`. Later calls do nothing.
 *
 * With a shared store a new binding is stored there too, and the answer is a Promise: the
 * response head must wait for it. It resolves `undefined` once the binding is stored, or the 503
 * to send instead when it could not be (the instance's binding is then ended and the
 * application told through `onSessionEnd`, so it closes the session nobody will ever reach).
 */
export function settleSession(
  store: SessionStore,
  shared: SharedSessions | undefined,
  result: AllowResult,
  head: ResponseHead,
): PlainResponse | undefined | Promise<PlainResponse | undefined> {
  const ticket = result.session;
  if (ticket === undefined || ticket.settled) return undefined;
  ticket.settled = true;
  if (ticket.action === 'close') {
    if (head.status >= 200 && head.status < 300) {
      store.forget(ticket.sessionId);
      if (shared !== undefined) forgetShared(shared, ticket.sessionId);
    }
    return undefined;
  }
  const owner =
    typeof head.sessionId === 'string' && head.sessionId !== '' && result.authInfo !== undefined
      ? sessionOwner(result.authInfo)
      : undefined;
  if (owner === undefined) {
    if (ticket.reservation !== undefined) store.release(ticket.reservation);
    return undefined;
  }
  const sessionId = head.sessionId as string;
  if (!store.bind(sessionId, owner, ticket.reservation) || shared === undefined) return undefined;
  const refuse = (failure: unknown): PlainResponse => {
    store.forget(sessionId);
    if (shared.onSessionEnd !== undefined) {
      try {
        shared.onSessionEnd(sessionId);
      } catch {
        // The application's cleanup must not change the answer.
      }
    }
    const error = storeFailure(failure);
    shared.report(error);
    return storeUnavailable(error, result.headers);
  };
  const key = SESSION_KEY_PREFIX + sessionId;
  const answer = (ok: boolean) =>
    ok ? undefined : refuse(new Error('session id already bound in the shared store'));
  // Taken already: fine only when it is this owner's (a retried settle); else an id collision.
  const confirm = (
    created: boolean,
  ): PlainResponse | undefined | Promise<PlainResponse | undefined> => {
    if (created) return undefined;
    const value = shared.store.get(key);
    return value instanceof Promise
      ? value.then((v) => answer(v === owner.key), refuse)
      : answer(value === owner.key);
  };
  try {
    const created = shared.store.setIfAbsent(key, shared.ttlMs, owner.key);
    return created instanceof Promise
      ? created.then(confirm).then(undefined, refuse)
      : confirm(created);
  } catch (failure) {
    return refuse(failure);
  }
}

/** Ends a binding in the shared store; a failure leaves it to its TTL (only its owner can use it). */
function forgetShared(shared: SharedSessions, sessionId: string): void {
  try {
    const done = shared.store.delete(SESSION_KEY_PREFIX + sessionId);
    if (done instanceof Promise) done.catch(() => undefined);
  } catch {
    // As above.
  }
}

/** The 503 for a store that did not answer, with the request's CORS headers. */
export function storeUnavailable(error: McpAuthError, cors: Record<string, string>): PlainResponse {
  return {
    status: 503,
    headers: Object.assign(
      {
        'Retry-After': String(
          Math.max(1, Math.ceil(error.retryAfterSeconds ?? STORE_RETRY_AFTER_SECONDS)),
        ),
      },
      { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      cors,
    ),
    body: { error: 'store_unavailable', error_description: error.message.slice(0, 200) },
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
