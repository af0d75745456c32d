import type { McpAuthErrorCode } from './errors.js';
import type { DroppedScope } from './normalize-claims.js';

/**
 * Why a request was allowed (`authorized`, `public_method`) or denied (the error code).
 * @example
 * ```ts
 * if (event.reason === 'insufficient_scope') metrics.increment('step_up');
 * ```
 */
export type DecisionReason = 'authorized' | 'public_method' | McpAuthErrorCode;

/**
 * One structured event per `authorize` call. Never contains the token.
 *
 * @example
 * ```ts
 * createMcpAuth({ ..., onDecision: (e) => logger.info(e) });
 * // { outcome: 'deny', reason: 'insufficient_scope', status: 403, sub: 'u1', clientId: 'app',
 * //   methods: ['tools/call'], tool: 'add_todo', requiredScopes: ['todo:write'],
 * //   missingScopes: ['todo:write'], durationMs: 0.4, ... }
 * ```
 */
export interface DecisionEvent {
  outcome: 'allow' | 'deny';
  reason: DecisionReason;
  /** HTTP status of a denial; 200 for an allow (the app decides the final status). */
  status: number;
  /** The protected resource. */
  resource: string;
  /** HTTP method of the request. */
  httpMethod: string;
  /** Token subject, when a token was verified. */
  sub?: string;
  /** Client id, when a token was verified. */
  clientId?: string;
  /** JSON-RPC methods in the body (or `Mcp-Method` header), in order. */
  methods: string[];
  /** The first tool called (`tools/call`), if any. */
  tool?: string;
  /** Every tool called (a batch may call several). */
  tools: string[];
  /** Scopes the request needs. */
  requiredScopes: string[];
  /** Required scopes the token lacks. */
  missingScopes: string[];
  /**
   * Scope values the token carried but that granted nothing: not scope-tokens, or a claim of
   * the wrong shape (see `DroppedScope`). Present only when there were some.
   */
  droppedScopes?: DroppedScope[];
  /** Safe description of a denial. */
  description?: string;
  /**
   * Why the authorization service was unavailable, on a 503: which document, at which
   * address, and what was wrong (e.g. `metadata issuer 'http://localhost:9400/' does not equal
   * the configured issuer 'http://127.0.0.1:9400'`). For operators only: never sent to the
   * client.
   */
  cause?: string;
  /** Milliseconds spent in `authorize`. */
  durationMs: number;
  /** When the decision was made (ms since the epoch). */
  timestamp: number;
}

/**
 * Receives {@link DecisionEvent}s. Exceptions it throws are caught and ignored.
 * @example
 * ```ts
 * const onDecision: DecisionListener = (e) => console.log(e.outcome, e.reason, e.status);
 * ```
 */
export type DecisionListener = (event: DecisionEvent) => void;

/**
 * Calls the listener, swallowing anything it throws (synchronously or as a rejected
 * promise) so auditing can never break a request.
 *
 * @example
 * ```ts
 * emitDecision(listener, event); // never throws
 * ```
 */
export function emitDecision(listener: DecisionListener | undefined, event: DecisionEvent): void {
  if (listener === undefined) return;
  try {
    const r = listener(event) as unknown;
    if (r instanceof Promise) r.catch(() => undefined);
  } catch {
    // Auditing must never affect the decision.
  }
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching controls is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const AUDIT_NAME_LIMIT = 128;

/**
 * A client-chosen name (method, tool) as the audit event carries it: at most 128 characters,
 * controls and line separators replaced by U+FFFD, so an application that logs events as text
 * cannot be fed forged log lines or flooded by one request.
 */
export function auditName(name: string): string {
  const cut = name.length > AUDIT_NAME_LIMIT ? name.slice(0, AUDIT_NAME_LIMIT) : name;
  return cut.replace(UNPRINTABLE, '\ufffd');
}

/**
 * One decision in progress: when it started, the CORS headers its answer carries, and its
 * audit event (only built when someone listens).
 */
export interface Decision {
  readonly started: number;
  readonly cors: Record<string, string>;
  readonly event: DecisionEvent | undefined;
  readonly listener: DecisionListener | undefined;
}

/** Starts a decision; the event is filled in by the stages and sent by {@link finishDecision}. */
export function startDecision(
  listener: DecisionListener | undefined,
  resource: string,
  httpMethod: string,
  cors: Record<string, string>,
): Decision {
  if (listener === undefined) return { started: 0, cors, event: undefined, listener };
  const event: DecisionEvent = {
    outcome: 'deny',
    reason: 'missing_credentials',
    status: 401,
    resource,
    httpMethod,
    methods: [],
    tools: [],
    requiredScopes: [],
    missingScopes: [],
    durationMs: 0,
    timestamp: Date.now(),
  };
  return { started: performance.now(), cors, event, listener };
}

/** Completes the decision's event with its outcome and emits it; returns `result`. */
export function finishDecision<T extends { type: 'allow' | 'deny'; status?: number }>(
  d: Decision,
  result: T,
): T {
  const { event } = d;
  if (event !== undefined) {
    event.outcome = result.type;
    event.status = result.type === 'deny' ? (result.status as number) : 200;
    event.durationMs = performance.now() - d.started;
    emitDecision(d.listener, event);
  }
  return result;
}
