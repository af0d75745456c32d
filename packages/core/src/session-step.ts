import type { SessionOwner, SessionReservation, SessionStore } from './session-binding.js';
import type { AllowResult, AuthInfo, ResponseHead, SessionTicket } from './types.js';

/**
 * Whether a request carrying `sessionId` may go on: only with the token of the owner bound to
 * it. Unknown, expired and foreign ids are all refused alike (the caller answers the SDK's 404),
 * and only the owner's use extends the binding.
 */
export function ownsSession(store: SessionStore, sessionId: string, authInfo: AuthInfo): boolean {
  const owner = sessionOwner(authInfo);
  return owner !== undefined && store.isOwner(sessionId, owner.key);
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
 */
export function settleSession(store: SessionStore, result: AllowResult, head: ResponseHead): void {
  const ticket = result.session;
  if (ticket === undefined || ticket.settled) return;
  ticket.settled = true;
  if (ticket.action === 'close') {
    if (head.status >= 200 && head.status < 300) store.forget(ticket.sessionId);
    return;
  }
  const owner =
    typeof head.sessionId === 'string' && head.sessionId !== '' && result.authInfo !== undefined
      ? sessionOwner(result.authInfo)
      : undefined;
  if (owner !== undefined) store.bind(head.sessionId as string, owner, ticket.reservation);
  else if (ticket.reservation !== undefined) store.release(ticket.reservation);
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
