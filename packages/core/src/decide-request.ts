import { auditName, type Decision, finishDecision, startDecision } from './audit.js';
import { DEFAULT_MAX_TOKEN_LENGTH, extractAccessToken } from './bearer-token.js';
import {
  checkKeyBinding,
  refuseBearer,
  rejectProof,
  verifyRequestProof,
  withNonce,
} from './decide-dpop.js';
import { allow, storeDown } from './decide-session.js';
import {
  noteOutage,
  type Result,
  type StageRequest,
  scopeOfRefusal,
  scopeToAskFor,
} from './decide-stage.js';
import { evaluateCompiled, isPublicRequest } from './evaluate-scopes.js';
import { headerValue } from './headers.js';
import type { McpOperation } from './mcp-operations.js';
import { type Operations, readOperations } from './read-operations.js';
import type { McpAuthConfig } from './resolve-options.js';
import {
  type Challenge,
  deny,
  EXPIRED,
  oauthDeny,
  rejectToken,
  SESSION_NOT_FOUND,
  unexpectedFailure,
} from './respond.js';
import type { ScopeEvaluation } from './scope-policy.js';
import { ownsSession } from './session-step.js';
import { checkTokenLifetime } from './token-lifetime.js';
import type { AuthInfo, AuthorizeRequest, AuthorizeResult } from './types.js';

/**
 * The decision as a pipeline of stages, each a function of the resolved config:
 * origin → credentials → request reading → (no token: public or 401) → DPoP proof →
 * verification → lifetime → key binding → session ownership → scope policy → session room →
 * allow.
 */

/** The challenges of an endpoint: errors on `Bearer`, or on `DPoP` for a DPoP request. */
export interface Challenges {
  readonly bearer: Challenge;
  readonly dpop: Challenge;
}

/** The audit event's methods and tools, sanitised (only when someone listens). */
function recordOperations(d: Decision, ops: readonly McpOperation[]): void {
  const { event } = d;
  if (event === undefined) return;
  for (const op of ops) {
    event.methods.push(auditName(op.method));
    if (op.method === 'tools/call' && op.name !== undefined) event.tools.push(auditName(op.name));
  }
  if (event.tools[0] !== undefined) event.tool = event.tools[0];
}

/** No credentials: a request made only of public methods goes on; anything else gets the 401. */
function withoutToken(c: McpAuthConfig, ch: Challenge, r: StageRequest, read: Operations): Result {
  // Public only when every item is a request for a public method, and never on a session:
  // a JSON-RPC response (an elicitation or sampling result) or a session id needs a token.
  if (
    read.error === undefined &&
    read.onlyRequests &&
    isPublicRequest(c.policy, r.ops) &&
    headerValue(r.request.headers, 'mcp-session-id') === undefined
  ) {
    if (r.d.event !== undefined) r.d.event.reason = 'public_method';
    return finishDecision(r.d, { type: 'allow', headers: r.d.cors });
  }
  const { required } = evaluateCompiled(c.policy, r.ops, undefined);
  if (r.d.event !== undefined) r.d.event.requiredScopes = required;
  return oauthDeny(
    r.d,
    401,
    'missing_credentials',
    'Authorization required',
    ch(undefined, undefined, scopeToAskFor(c, required)),
  );
}

/**
 * The DPoP stage: Bearer refused when DPoP is required; a DPoP request's proof checked before
 * its token is verified (its `jti` is recorded once the token proves bound to the proof key).
 */
function checkProof(c: McpAuthConfig, ch: Challenge, r: StageRequest, token: string): Result {
  const { dpop } = c;
  if (dpop === undefined || (r.scheme === 'bearer' && dpop.mode === 'allowed')) {
    return verify(c, ch, r, token);
  }
  if (r.scheme === 'bearer') return refuseBearer(c, ch, r);
  return verifyRequestProof(c, dpop, r, token).then(
    ({ jkt, markUsed }) => {
      r.proofJkt = jkt;
      r.markProofUsed = markUsed;
      return withNonce(c, verify(c, ch, r, token));
    },
    (failure: unknown) => rejectProof(c, ch, r, failure),
  );
}

/** Verification: synchronous on a cache hit, otherwise the rest waits for the verifier. */
function verify(c: McpAuthConfig, ch: Challenge, r: StageRequest, token: string): Result {
  let authInfo: AuthInfo | undefined;
  let pending: Promise<AuthInfo> | undefined;
  try {
    authInfo = c.verifySync?.(token);
    if (authInfo === undefined) pending = Promise.resolve(c.verifier.verifyAccessToken(token));
  } catch (failure) {
    return conclude(c, ch, r, undefined, failure);
  }
  if (pending === undefined) return conclude(c, ch, r, authInfo, undefined);
  return pending.then(
    (info) => conclude(c, ch, r, info, undefined),
    (failure: unknown) => conclude(c, ch, r, undefined, failure),
  );
}

/** A usable `AuthInfo`: an object, and (for a verifier that does not check it) not expired. */
function usable(c: McpAuthConfig, authInfo: AuthInfo | undefined): 'ok' | 'expired' | 'invalid' {
  if (typeof authInfo !== 'object' || authInfo === null) return 'invalid';
  // A custom verifier might not check `exp`; the built-in ones apply the same rule themselves
  // (`checksLifetime`), with their tolerance, and are not judged a second time.
  if (!c.checkExpiry || authInfo.expiresAt === undefined) return 'ok';
  return checkTokenLifetime({ exp: authInfo.expiresAt }, c.expiryToleranceMs) === undefined
    ? 'ok'
    : 'expired';
}

/** The decision once the token was verified (`authInfo`) or refused (`failure`). */
function conclude(
  c: McpAuthConfig,
  ch: Challenge,
  r: StageRequest,
  authInfo: AuthInfo | undefined,
  failure: unknown,
): Result {
  const { d, ops } = r;
  const state = usable(c, authInfo);
  if (state !== 'ok' || authInfo === undefined) {
    const { required } = evaluateCompiled(c.policy, ops, undefined);
    if (d.event !== undefined) d.event.requiredScopes = required;
    const scope = scopeToAskFor(c, required);
    noteOutage(c, d, failure);
    if (state === 'invalid') return rejectToken(d, ch, failure, scope);
    return oauthDeny(d, 401, 'invalid_token', EXPIRED, ch('invalid_token', EXPIRED, scope));
  }
  const bindingRefusal = checkKeyBinding(r, authInfo);
  if (bindingRefusal !== undefined) {
    const scope = scopeOfRefusal(c, r);
    return oauthDeny(
      d,
      401,
      'invalid_token',
      bindingRefusal,
      ch('invalid_token', bindingRefusal, scope),
    );
  }
  // The proof's jti is recorded only now, for a valid token bound to the proof's key.
  const { markProofUsed } = r;
  if (markProofUsed !== undefined) {
    return markProofUsed().then(
      () => concludeVerified(c, ch, r, authInfo),
      (failure: unknown) => rejectProof(c, ch, r, failure),
    );
  }
  return concludeVerified(c, ch, r, authInfo);
}

/** The decision for a verified token whose key binding fits: session, then scopes. */
function concludeVerified(
  c: McpAuthConfig,
  ch: Challenge,
  r: StageRequest,
  authInfo: AuthInfo,
): Result {
  const { d, ops } = r;
  const granted = Array.isArray(authInfo.scopes) ? authInfo.scopes : [];
  const evaluation = evaluateCompiled(c.policy, ops, granted);
  const { event } = d;
  if (event !== undefined) {
    const sub = authInfo.extra?.sub;
    if (typeof sub === 'string') event.sub = sub;
    if (authInfo.clientId !== '') event.clientId = authInfo.clientId;
    event.requiredScopes = evaluation.required;
    event.missingScopes = evaluation.missing;
    const dropped = authInfo.extra?.droppedScopes;
    if (Array.isArray(dropped) && dropped.length > 0) event.droppedScopes = dropped;
  }
  // Sessions fail closed: a session id must be bound to this token's owner. Unknown, expired
  // and foreign ids get the same 404 as the SDK gives an unknown session, so nothing tells
  // them apart, and no id is ever adopted. A shared store that cannot answer gets a 503.
  const sessionId =
    c.sessions === undefined ? undefined : headerValue(r.request.headers, 'mcp-session-id');
  if (sessionId !== undefined && c.sessions !== undefined) {
    let owned: boolean | Promise<boolean>;
    try {
      owned = ownsSession(c.sessions, c.sharedSessions, sessionId, authInfo);
    } catch (failure) {
      return storeDown(c, d, failure);
    }
    const next = (ok: boolean): AuthorizeResult =>
      ok
        ? checkScopes(c, ch, r, authInfo, granted, evaluation, sessionId)
        : deny(d, 404, 'session_not_found', SESSION_NOT_FOUND);
    if (owned instanceof Promise) {
      return owned.then(next, (failure: unknown) => storeDown(c, d, failure));
    }
    return next(owned);
  }
  return checkScopes(c, ch, r, authInfo, granted, evaluation, sessionId);
}

/** The scope stage: 403 with the step-up challenge when scopes are missing, else allow. */
function checkScopes(
  c: McpAuthConfig,
  ch: Challenge,
  r: StageRequest,
  authInfo: AuthInfo,
  granted: readonly string[],
  evaluation: ScopeEvaluation,
  sessionId: string | undefined,
): AuthorizeResult {
  const { d } = r;
  if (evaluation.unnamedTool !== undefined || evaluation.missing.length > 0) {
    const scope = [...evaluation.required];
    if (c.grantedInChallenge !== undefined) {
      for (const s of granted) if (c.grantedInChallenge.has(s) && !scope.includes(s)) scope.push(s);
    }
    const description =
      evaluation.unnamedTool !== undefined
        ? `Tool ${auditName(evaluation.unnamedTool).slice(0, 64)} is not available`
        : `Missing required scope: ${evaluation.missing.join(' ')}`;
    return oauthDeny(
      d,
      403,
      'insufficient_scope',
      description,
      ch('insufficient_scope', description, scope),
    );
  }
  return allow(c, r, authInfo, sessionId);
}

/** The stages up to verification; synchronous unless the verifier has to be awaited. */
function decide(c: McpAuthConfig, chs: Challenges, request: AuthorizeRequest): Result {
  const httpMethod = String(request.method).toUpperCase();
  const origin = headerValue(request.headers, 'origin');
  const d = startDecision(c.onDecision, c.resource, httpMethod, c.cors.responseHeaders(origin));
  if (!c.cors.isAllowed(origin)) {
    return oauthDeny(
      d,
      403,
      'invalid_origin',
      'Origin not allowed',
      chs.bearer(undefined, undefined, []),
    );
  }
  const bearer = extractAccessToken(
    { headers: request.headers, url: request.url, body: request.body },
    c.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH,
    c.dpop !== undefined,
  );
  const scheme = bearer.kind === 'none' ? 'bearer' : bearer.scheme;
  const ch = scheme === 'dpop' ? chs.dpop : chs.bearer;
  if (bearer.kind === 'invalid') {
    const { description } = bearer;
    return oauthDeny(
      d,
      400,
      'invalid_request',
      description,
      ch('invalid_request', description, []),
    );
  }
  const read = readOperations(request, httpMethod, c.needsBody);
  recordOperations(d, read.ops);
  const r: StageRequest = { d, request, httpMethod, ops: read.ops, scheme };
  // Without credentials the answer is the 401 challenge, whatever the body: a client must
  // authenticate first, and a token sent only in a form body is "no credentials" (RFC 6750).
  if (bearer.kind === 'none') return withoutToken(c, ch, r, read);
  const { error } = read;
  if (error !== undefined) {
    return deny(d, 400, error.code, {
      jsonrpc: '2.0',
      id: null,
      error: { code: error.rpc, message: error.message },
    });
  }
  return checkProof(c, ch, r, bearer.token);
}

/**
 * The decision of one endpoint, never a thrown error nor a rejected promise: synchronous when
 * nothing has to be awaited (no token, a malformed request, a cached token).
 */
export function createDecide(
  config: McpAuthConfig,
  challenges: Challenges,
): (request: AuthorizeRequest) => Result {
  const fail = () => unexpectedFailure(challenges.bearer);
  return function decideSafely(request) {
    let result: Result;
    try {
      result = decide(config, challenges, request);
    } catch {
      return fail();
    }
    return result instanceof Promise ? result.then(undefined, fail) : result;
  };
}
