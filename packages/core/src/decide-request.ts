import { auditName, type Decision, finishDecision, startDecision } from './audit.js';
import { extractAccessToken } from './bearer-token.js';
import { DEFAULT_MAX_TOKEN_LENGTH } from './bearer-token.js';
import { keyBindingOf } from './dpop/bound-key.js';
import { requestHtu } from './dpop/htu.js';
import { verifyDpopProof } from './dpop/verify-dpop-proof.js';
import { evaluateCompiled, isPublicRequest } from './evaluate-scopes.js';
import { isMcpAuthError } from './errors.js';
import { headerValue, headerValues } from './headers.js';
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
  SESSION_RETRY_AFTER_SECONDS,
  unexpectedFailure,
} from './respond.js';
import type { ScopeEvaluation } from './scope-policy.js';
import { ownsSession, sessionTicket, storeFailure, storeUnavailable } from './session-step.js';
import { checkTokenLifetime } from './token-lifetime.js';
import type { AllowResult, AuthInfo, AuthorizeRequest, AuthorizeResult } from './types.js';

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

type Result = AuthorizeResult | Promise<AuthorizeResult>;

/** What the stages share for one request. */
interface Request {
  readonly d: Decision;
  readonly request: AuthorizeRequest;
  readonly httpMethod: string;
  readonly ops: readonly McpOperation[];
  /** The scheme that carried the token. */
  readonly scheme: 'bearer' | 'dpop';
  /** The thumbprint of the DPoP proof's key, once the proof was verified. */
  proofJkt?: string;
  /** Records the proof as used: run once the token is verified and bound to its key. */
  markProofUsed?: () => Promise<void>;
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

/** A 401's `scope`: what the request needs, or the policy's initial scopes when it needs none. */
function scopeToAskFor(c: McpAuthConfig, required: readonly string[]): readonly string[] {
  return required.length > 0 ? required : c.policy.initial;
}

/** No credentials: a request made only of public methods goes on; anything else gets the 401. */
function withoutToken(c: McpAuthConfig, ch: Challenge, r: Request, read: Operations): Result {
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

/** 401 for a DPoP proof refused, or 503 when the replay cache cannot answer. */
function rejectProof(c: McpAuthConfig, ch: Challenge, r: Request, failure: unknown): Result {
  const { required } = evaluateCompiled(c.policy, r.ops, undefined);
  const scope = scopeToAskFor(c, required);
  const nonces = c.dpop?.nonces;
  if (isMcpAuthError(failure) && failure.code === 'use_dpop_nonce' && nonces !== undefined) {
    // The fresh nonce the client must put in its next proof (RFC 9449 §8).
    return nonces
      .current()
      .then((nonce) =>
        oauthDeny(
          r.d,
          401,
          'use_dpop_nonce',
          failure.message,
          ch('use_dpop_nonce', failure.message, scope),
          { 'DPoP-Nonce': nonce },
        ),
      );
  }
  if (isMcpAuthError(failure) && failure.code === 'invalid_dpop_proof') {
    return oauthDeny(
      r.d,
      401,
      'invalid_dpop_proof',
      failure.message,
      ch('invalid_dpop_proof', failure.message, scope),
    );
  }
  if (isMcpAuthError(failure) && failure.status === 503) {
    const cause = c.reportOutage(failure);
    if (r.d.event !== undefined) r.d.event.cause = cause;
  }
  return rejectToken(r.d, ch, failure, scope);
}

/**
 * The DPoP stage: Bearer refused when DPoP is required; a DPoP request's proof checked (every
 * request: proofs are never cached) before its token is verified.
 */
function checkProof(c: McpAuthConfig, ch: Challenge, r: Request, token: string): Result {
  const { dpop } = c;
  if (dpop === undefined) return verify(c, ch, r, token);
  if (r.scheme === 'bearer') {
    if (dpop.mode === 'allowed') return verify(c, ch, r, token);
    const { required } = evaluateCompiled(c.policy, r.ops, undefined);
    const description = 'This resource requires a DPoP-bound access token and a DPoP proof';
    return oauthDeny(
      r.d,
      401,
      'invalid_token',
      description,
      ch('invalid_token', description, scopeToAskFor(c, required)),
    );
  }
  const proof = verifyDpopProof(
    {
      proofs: headerValues(r.request.headers, 'dpop'),
      method: r.httpMethod,
      htu: requestHtu(c.resourceOrigin, r.request.url),
      accessToken: token,
    },
    dpop.rule,
  );
  const { nonces } = dpop;
  return proof.then(
    ({ jkt, markUsed }) => {
      r.proofJkt = jkt;
      r.markProofUsed = markUsed;
      const result = verify(c, ch, r, token);
      if (nonces === undefined) return result;
      // With server nonces, every answer to a DPoP request carries the current one.
      return Promise.all([result, nonces.current()]).then(([decided, nonce]) => {
        decided.headers['DPoP-Nonce'] = nonce;
        return decided;
      });
    },
    (failure: unknown) => rejectProof(c, ch, r, failure),
  );
}

/** Verification: synchronous on a cache hit, otherwise the rest waits for the verifier. */
function verify(c: McpAuthConfig, ch: Challenge, r: Request, token: string): Result {
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

/**
 * Why the token's key binding does not fit the request, or `undefined` when it does: a token
 * bound to a DPoP key needs the `DPoP` scheme and a proof signed by that key; the `DPoP` scheme
 * needs a bound token; a binding other than a DPoP key is never accepted. Checked whatever the
 * `dpop` mode, so a verifier that lets bound tokens through cannot make them bearer tokens.
 */
function checkKeyBinding(r: Request, authInfo: AuthInfo): string | undefined {
  const binding = keyBindingOf(authInfo);
  if (binding.kind === 'unsupported')
    return 'The access token is bound to a key this server cannot check';
  if (r.scheme === 'bearer') {
    return binding.kind === 'jkt'
      ? 'A DPoP-bound access token must be sent with the DPoP scheme and a DPoP proof'
      : undefined;
  }
  if (binding.kind === 'none') return 'The access token is not DPoP-bound';
  return binding.jkt === r.proofJkt
    ? undefined
    : 'The DPoP proof key does not match the access token binding';
}

/** The decision once the token was verified (`authInfo`) or refused (`failure`). */
function conclude(
  c: McpAuthConfig,
  ch: Challenge,
  r: Request,
  authInfo: AuthInfo | undefined,
  failure: unknown,
): Result {
  const { d, ops } = r;
  const state = usable(c, authInfo);
  if (state !== 'ok' || authInfo === undefined) {
    const { required } = evaluateCompiled(c.policy, ops, undefined);
    if (d.event !== undefined) d.event.requiredScopes = required;
    const scope = scopeToAskFor(c, required);
    if (isMcpAuthError(failure) && failure.status === 503) {
      const cause = c.reportOutage(failure);
      if (d.event !== undefined) d.event.cause = cause;
    }
    if (state === 'invalid') return rejectToken(d, ch, failure, scope);
    return oauthDeny(d, 401, 'invalid_token', EXPIRED, ch('invalid_token', EXPIRED, scope));
  }
  const bindingRefusal = checkKeyBinding(r, authInfo);
  if (bindingRefusal !== undefined) {
    const { required } = evaluateCompiled(c.policy, ops, undefined);
    return oauthDeny(
      d,
      401,
      'invalid_token',
      bindingRefusal,
      ch('invalid_token', bindingRefusal, scopeToAskFor(c, required)),
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
function concludeVerified(c: McpAuthConfig, ch: Challenge, r: Request, authInfo: AuthInfo): Result {
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

/** 503 + `Retry-After` when the shared store did not answer: never allowed without it. */
function storeDown(c: McpAuthConfig, d: Decision, failure: unknown): AuthorizeResult {
  const error = storeFailure(failure);
  const cause = c.reportOutage(error);
  if (d.event !== undefined) d.event.cause = cause;
  const answer = storeUnavailable(error, {});
  return oauthDeny(
    d,
    503,
    'store_unavailable',
    (answer.body as { error_description: string }).error_description,
    undefined,
    { 'Retry-After': answer.headers['Retry-After'] as string },
  );
}

/** The scope stage: 403 with the step-up challenge when scopes are missing, else allow. */
function checkScopes(
  c: McpAuthConfig,
  ch: Challenge,
  r: Request,
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

/** The session stage's room check, then the allow result. */
function allow(
  c: McpAuthConfig,
  r: Request,
  authInfo: AuthInfo,
  sessionId: string | undefined,
): AuthorizeResult {
  const { d } = r;
  const session =
    c.sessions === undefined
      ? undefined
      : sessionTicket(
          c.sessions,
          {
            sessionId,
            httpMethod: r.httpMethod,
            initialize: r.ops.some((op) => op.method === 'initialize'),
          },
          authInfo,
        );
  if (session === 'no_owner') {
    return oauthDeny(
      d,
      403,
      'session_forbidden',
      'The access token names neither a subject nor a client, so it cannot open a session',
      undefined,
    );
  }
  if (session === 'full' || session === 'subject_full') {
    // A live binding is never evicted to make room: the application does not run.
    return oauthDeny(
      d,
      503,
      'session_limit',
      session === 'full'
        ? 'Too many open sessions; retry later'
        : 'Too many open sessions for this subject; end one (DELETE) or retry later',
      undefined,
      { 'Retry-After': SESSION_RETRY_AFTER_SECONDS },
    );
  }
  if (d.event !== undefined) d.event.reason = 'authorized';
  const result: AllowResult = { type: 'allow', authInfo, headers: d.cors };
  if (session !== undefined) result.session = session;
  return finishDecision(d, result);
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
  const r: Request = { d, request, httpMethod, ops: read.ops, scheme };
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
