import type { ServerResponse } from 'node:http';
import type { PlainResponse } from '@org/mcp-auth-core/adapter';
import type { NodeResponseHead } from './on-response-head.js';
import { writeResponse } from './write-response.js';

/** The answer when settling a session-opening response failed unexpectedly: retry later. */
function unsettled(): PlainResponse {
  return {
    status: 503,
    headers: { 'Content-Type': 'application/json', 'Retry-After': '5' },
    body: {
      error: 'store_unavailable',
      error_description: 'The session could not be recorded; retry later',
    },
  };
}

type Settle = (
  head: NodeResponseHead,
) => PlainResponse | undefined | Promise<PlainResponse | undefined>;

type Method = 'writeHead' | 'write' | 'end' | 'flushHeaders';
const METHODS: readonly Method[] = ['writeHead', 'write', 'end', 'flushHeaders'];
type AnyFn = (...args: unknown[]) => unknown;

function headerIn(headers: unknown, name: string): unknown {
  if (Array.isArray(headers)) {
    const i = headers.findIndex((v, j) => j % 2 === 0 && String(v).toLowerCase() === name);
    return i < 0 ? undefined : headers[i + 1];
  }
  if (typeof headers !== 'object' || headers === null) return undefined;
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The callback among a `write`/`end` call's arguments, if any. */
function callbackOf(args: unknown[]): AnyFn | undefined {
  const last = args[args.length - 1];
  return typeof last === 'function' ? (last as AnyFn) : undefined;
}

/**
 * Like `onResponseHead`, but `settle` may answer with a Promise, and then nothing reaches the
 * client until it resolves: the head and every `write`/`end`/`flushHeaders` the application makes
 * meanwhile are kept in order and replayed once `settle` resolves `undefined`. When it resolves
 * a response instead (a 503: the session could not be stored), that response is sent in place
 * of the application's — its headers (the new `Mcp-Session-Id` among them) dropped — and the
 * application's later writes to this response are ignored. A synchronous answer costs nothing:
 * the response goes on at once.
 *
 * The head is seen however it is written: `writeHead` (the MCP SDK, Fastify), or the implicit
 * head of a first `write`/`end` (Express's `res.send`). A response that closes before any head
 * is reported with status 0.
 *
 * @example
 * ```ts
 * holdResponseHead(res, (head) => core.onResponse(result, head));
 * ```
 */
export function holdResponseHead(res: ServerResponse, settle: Settle): void {
  if (res.destroyed || res.closed || res.socket?.destroyed === true) {
    void settle({ status: 0, sessionId: undefined });
    return;
  }
  const target = res as unknown as Record<Method, AnyFn>;
  const original = {} as Record<Method, AnyFn>;
  for (const m of METHODS) original[m] = target[m] as AnyFn;
  let state: 'waiting' | 'holding' | 'replaced' | 'passed' = 'waiting';
  const queue: Array<[Method, unknown[]]> = [];

  const restore = () => {
    for (const m of METHODS) target[m] = original[m];
  };
  const flush = () => {
    state = 'passed';
    restore();
    if (res.destroyed) return;
    for (const [m, args] of queue) original[m].apply(res, args);
    queue.length = 0;
  };
  const replace = (answer: PlainResponse) => {
    state = 'replaced';
    restore();
    if (!res.destroyed) {
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      writeResponse(res, answer);
    }
    // The application is told its session ended; whatever it still writes goes nowhere.
    for (const m of METHODS) target[m] = dropped(m);
    for (const [, args] of queue) callbackOf(args)?.();
    queue.length = 0;
  };
  const dropped = (m: Method): AnyFn =>
    function droppedCall(...args: unknown[]) {
      if (m === 'write' || m === 'end') queueMicrotask(() => callbackOf(args)?.());
      if (m === 'write') return true;
      return m === 'flushHeaders' ? undefined : res;
    };

  /** The head is known: ask; true when the response must wait. */
  const start = (head: NodeResponseHead): boolean => {
    let answer: ReturnType<Settle>;
    try {
      answer = settle(head);
    } catch {
      // Whether the binding was stored is unknown: the session id must not leave (fail closed).
      answer = head.sessionId === undefined ? undefined : unsettled();
    }
    if (answer instanceof Promise) {
      state = 'holding';
      answer.then(
        (a) => (a === undefined ? flush() : replace(a)),
        () => replace(unsettled()),
      );
      return true;
    }
    if (answer !== undefined) {
      replace(answer);
      return true;
    }
    state = 'passed';
    restore();
    return false;
  };

  for (const m of METHODS) {
    target[m] = function held(this: ServerResponse, ...args: unknown[]) {
      if (state === 'waiting') {
        const explicit = m === 'writeHead';
        const status = explicit && typeof args[0] === 'number' ? args[0] : res.statusCode;
        // Headers given to writeHead win over those set before, as Node sends them.
        const id =
          (explicit ? headerIn(args[2] ?? args[1], 'mcp-session-id') : undefined) ??
          res.getHeader('mcp-session-id');
        const waits = start({
          status,
          sessionId: typeof id === 'string' && id !== '' ? id : undefined,
        });
        if (!waits) return original[m].apply(res, args);
      }
      if (state === 'holding') {
        queue.push([m, args]);
        if (m === 'write') return true;
        return m === 'flushHeaders' ? undefined : res;
      }
      if (state === 'replaced') return dropped(m).apply(res, args);
      return original[m].apply(res, args);
    };
  }
  res.once('close', () => {
    if (state !== 'waiting') return;
    state = 'passed';
    restore();
    void settle({ status: 0, sessionId: undefined });
  });
}
