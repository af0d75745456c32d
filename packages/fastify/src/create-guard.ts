import type { IncomingMessage } from 'node:http';
import type { AuthInfo, McpAuth } from '@org/mcp-auth-core';
import {
  type AuthorizeResult,
  BODY_TOO_LARGE,
  decide,
  isJsonContentType,
  type PlainResponse,
} from '@org/mcp-auth-core/adapter';
import { applyAllow, toAuthorizeRequest } from '@org/mcp-auth-node';
import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { capBody } from './cap-body.js';

type Done = (error?: Error) => void;
type PayloadDone = (error: Error | null, payload?: RequestPayload) => void;

/** Stands for a body Fastify could not parse as JSON: the core answers it with -32700. */
const UNPARSEABLE = '\u0000';
/** A request whose decision waits for the body Fastify parses. */
const PENDING = 0;
/** A request already decided (or being decided) by this guard. */
const DECIDED = 1;

/**
 * The hooks of one registration of the plugin. `protect` starts the decision of a protected
 * request (`onRequest`); the other three run for every route in the plugin's scope and act only
 * on requests `protect` left waiting for their body: `limitBody` caps a body sent without
 * `Content-Length` (`preParsing`), `decideWithBody` decides on the body Fastify parsed
 * (`preValidation`), and `answerBodyError` answers a body Fastify could not parse as the core
 * does (`onError`).
 */
export interface Guard {
  protect(request: FastifyRequest, reply: FastifyReply, done: Done): void;
  limitBody(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: RequestPayload,
    done: PayloadDone,
  ): void;
  decideWithBody(request: FastifyRequest, reply: FastifyReply, done: Done): void;
  answerBodyError(
    request: FastifyRequest,
    reply: FastifyReply,
    error: Error,
    done: () => void,
  ): void;
}

function send(reply: FastifyReply, { status, headers, body }: PlainResponse): void {
  reply.code(status).headers(headers).send(body);
}

/**
 * Makes the next `reply.send` — the app's error handler answering the body error — send
 * `response` instead, once. The error handler still runs (it may log); the client gets the
 * core's answer. Only this reply is touched, never a route's options or error handler.
 */
function answerInstead(reply: FastifyReply, response: PlainResponse): void {
  reply.send = function mcpAuthAnswer(this: FastifyReply) {
    Reflect.deleteProperty(reply, 'send'); // Fastify's own send again
    return this.code(response.status).headers(response.headers).send(response.body);
  };
}

function settle(outcome: Promise<void> | undefined, done: Done): void {
  if (outcome === undefined) done();
  else outcome.then(() => done(), done);
}

/**
 * Builds the {@link Guard} of one core. `inScope(request)` tells whether this registration's
 * scope-wide hooks run for the request's route: a `protect` used outside that scope decides at
 * once, without the body (fail closed: a policy that needs the body denies).
 */
export function createGuard(
  core: McpAuth,
  maxBodyBytes: number,
  inScope: (request: FastifyRequest) => boolean,
): Guard {
  const state = new WeakMap<FastifyRequest, typeof PENDING | typeof DECIDED>();

  function apply(request: FastifyRequest, reply: FastifyReply, result: AuthorizeResult): void {
    if (result.type === 'deny') {
      send(reply, result);
      return;
    }
    applyAllow(core, reply.raw, result);
    if (result.authInfo === undefined) return; // a public method without a token: no auth
    request.auth = result.authInfo;
    (request.raw as IncomingMessage & { auth?: AuthInfo }).auth = result.authInfo;
  }
  /** Decides: synchronously when the core can (a cached token, no token), else a Promise. */
  function authorize(request: FastifyRequest, reply: FastifyReply, body: unknown) {
    const decided = decide(core, toAuthorizeRequest(request.raw, body));
    if (decided instanceof Promise) return decided.then((r) => apply(request, reply, r));
    apply(request, reply, decided);
    return undefined;
  }

  // Callback style throughout: no promise per request on the hot path; `done` after a reply
  // was sent is safe (Fastify stops once `reply.sent`).
  return {
    protect(request, reply, done) {
      if (state.has(request)) return done(); // protected twice (paths and a route hook)
      state.set(request, DECIDED);
      if (request.method === 'OPTIONS') {
        send(reply, core.preflight(toAuthorizeRequest(request.raw)));
        return done();
      }
      const needsBody = core.needsBody && isJsonContentType(request.headers['content-type']);
      if (needsBody && inScope(request)) {
        if (Number(request.headers['content-length']) > maxBodyBytes) {
          send(reply, BODY_TOO_LARGE);
          return done();
        }
        state.set(request, PENDING);
        return done();
      }
      settle(authorize(request, reply, undefined), done);
    },
    limitBody(request, _reply, payload, done) {
      if (state.get(request) !== PENDING || request.headers['content-length'] !== undefined) {
        return done(null, payload);
      }
      done(null, capBody(payload, maxBodyBytes));
    },
    decideWithBody(request, reply, done) {
      if (state.get(request) !== PENDING) return done();
      state.set(request, DECIDED);
      settle(authorize(request, reply, request.body), done);
    },
    answerBodyError(request, reply, error, done) {
      if (state.get(request) !== PENDING) return done();
      state.set(request, DECIDED);
      const code = (error as { code?: unknown }).code;
      if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        answerInstead(reply, BODY_TOO_LARGE);
        return done();
      }
      // Other errors (a hook of the app failed) stay the app's: the route's handler never runs.
      if (typeof code !== 'string' || !code.startsWith('FST_ERR_CTP_')) return done();
      // The core checks the token first: no credentials gets the 401 challenge, a token the
      // JSON-RPC -32700.
      const body = code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? UNPARSEABLE : undefined;
      const answer = (result: AuthorizeResult) => {
        if (result.type === 'deny') answerInstead(reply, result);
        done();
      };
      const decided = decide(core, toAuthorizeRequest(request.raw, body));
      if (decided instanceof Promise) decided.then(answer, () => done());
      else answer(decided);
    },
  };
}
