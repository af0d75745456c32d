/**
 * Session takeover (MCP security best practices, "session hijacking"): a stateful session is
 * bound to issuer + subject + client when the server creates it, and every later request on its
 * `Mcp-Session-Id` must come with its owner's token. Attacked over HTTP on every adapter: the
 * owner's own DELETE that the application refuses, the same `sub` from another issuer or
 * client, and tokenless requests for a public method or a JSON-RPC response.
 */
import { createMcpAuth, createMultiIssuerVerifier } from '@org/mcp-auth-core';
import { type RunningTestIssuer, startTestIssuer } from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callTool,
  challengeFor,
  deleteSession,
  describeEachAdapter,
  expectDenial,
  openSession,
  postMcp,
  type RawResponse,
  rpcResult,
  SCOPE_POLICY,
  type SecurityServer,
  sendOnSession,
  toolRunsDuring,
  useSecurityEnvironment,
  sessionPerServer,
} from '../src/index.js';

/** What the SDK transport answers for an unknown session, and the core for a foreign one. */
const SESSION_NOT_FOUND = {
  jsonrpc: '2.0',
  error: { code: -32001, message: 'Session not found' },
  id: null,
};
const MISSING = { error: 'missing_credentials', error_description: 'Authorization required' };

/** The exact 404, and that the core (not the application) refused the session id. */
function expectSessionNotFound(server: SecurityServer, res: RawResponse) {
  expectDenial(res, { status: 404, challenge: null, body: SESSION_NOT_FOUND });
  expect(server.decisions.at(-1)).toMatchObject({
    outcome: 'deny',
    reason: 'session_not_found',
    status: 404,
  });
}

/** Calls `whoami` on a session and returns who the tool saw (and how many tools ran). */
async function whoami(server: SecurityServer, sessionId: string, token: string) {
  const { runs, result } = await toolRunsDuring(server, () =>
    callTool(server, { token, sessionId }, 'whoami'),
  );
  return { runs, result, seen: rpcResult(result).result?.structuredContent };
}

describe('the owner’s refused DELETE', () => {
  const env = useSecurityEnvironment();

  describeEachAdapter('DELETE refused by the application', (adapter) => {
    it('leaves the session bound to its owner; only a 2xx DELETE ends the binding', async () => {
      // Finding 1: the binding was dropped when the DELETE was authorized; when the transport
      // then refused it (400 for an unsupported MCP-Protocol-Version), the session lived on
      // unbound and the next subject to use it was let in and became its owner.
      const server = env.server(adapter);
      const alice = await env.mint(server, { scope: 'todo:read' });
      const mallory = await env.mint(server, { scope: 'todo:read', sub: 'mallory' });
      const { sessionId } = await openSession(server, alice);
      const open = server.sessionCount();

      const refused = await server.send({
        method: 'DELETE',
        headers: [
          ['Accept', 'application/json, text/event-stream'],
          ['Authorization', `Bearer ${alice}`],
          ['Mcp-Session-Id', sessionId],
          ['MCP-Protocol-Version', '1999-01-01'],
        ],
      });
      expect(refused.status).toBe(400);
      expect(rpcResult(refused).error?.code).toBe(-32000);
      expect(rpcResult(refused).error?.message).toMatch(
        /^Bad Request: Unsupported protocol version: 1999-01-01/,
      );
      expect(server.sessionCount()).toBe(open); // the transport kept the session

      const taken = await whoami(server, sessionId, mallory);
      expectSessionNotFound(server, taken.result);
      expect(taken.runs).toBe(0);
      expectSessionNotFound(server, await deleteSession(server, sessionId, mallory));
      expect(server.sessionCount()).toBe(open);

      const owner = await whoami(server, sessionId, alice);
      expect(owner.result.status).toBe(200);
      expect(owner.runs).toBe(1);
      expect(owner.seen).toEqual({ tool: 'whoami', sub: 'alice', scopes: ['todo:read'] });

      const deleted = await deleteSession(server, sessionId, alice);
      expect(deleted.status).toBe(200);
      expect(server.sessionCount()).toBe(open - 1);
      for (const token of [alice, mallory]) {
        const after = await whoami(server, sessionId, token);
        expectSessionNotFound(server, after.result);
        expect(after.runs).toBe(0);
      }
    });
  });
});

describe('the owner is issuer + subject + client', () => {
  let issuerB: RunningTestIssuer;
  beforeAll(async () => {
    issuerB = await startTestIssuer({ subject: 'alice' });
  });
  afterAll(async () => {
    await issuerB?.close();
  });
  // Two issuers behind one verifier; both use `sub: alice` and `client_id: test-client`.
  const env = useSecurityEnvironment({
    auth: ({ resource, issuer }) => ({
      issuer: undefined,
      jwt: undefined,
      verifier: createMultiIssuerVerifier({
        resource,
        issuers: [
          { issuer, jwksCooldownMs: 1_000 },
          { issuer: issuerB.issuer, jwksCooldownMs: 1_000 },
        ],
      }),
      authorizationServers: [issuer, issuerB.issuer],
    }),
  });

  /** A token from issuer B for `server`, same subject and client as the A tokens. */
  const mintB = async (server: SecurityServer, scope = 'todo:read') =>
    env.remember(
      await issuerB.mintAccessToken({ claims: { aud: server.resource, sub: 'alice', scope } }),
    );

  describeEachAdapter('another issuer or client with the same sub', (adapter) => {
    it('refuses issuer B’s alice on issuer A’s alice’s session (and the reverse)', async () => {
      // Finding 3: the owner was the `sub` alone, so the same `sub` from any trusted issuer
      // (RFC 7519 §4.1.2: unique only within its issuer) could use the session.
      const server = env.server(adapter);
      const aliceA = await env.mint(server, { scope: 'todo:read' });
      const aliceB = await mintB(server);
      const { sessionId: sessionA } = await openSession(server, aliceA);
      const { sessionId: sessionB } = await openSession(server, aliceB); // B is trusted

      const fromB = await whoami(server, sessionA, aliceB);
      expectSessionNotFound(server, fromB.result);
      expect(fromB.runs).toBe(0);
      const fromA = await whoami(server, sessionB, aliceA);
      expectSessionNotFound(server, fromA.result);
      expect(fromA.runs).toBe(0);

      for (const [sessionId, token] of [
        [sessionA, aliceA],
        [sessionB, aliceB],
      ] as const) {
        const owner = await whoami(server, sessionId, token);
        expect(owner.result.status).toBe(200);
        expect(owner.runs).toBe(1);
      }
    });

    it('refuses the same sub and issuer through another client', async () => {
      // Finding 3: the client id was not part of the owner either.
      const server = env.server(adapter);
      const alice = await env.mint(server, { scope: 'todo:read' });
      const otherClient = await env.mint(server, {
        scope: 'todo:read',
        claims: { client_id: 'other-client' },
      });
      const { sessionId } = await openSession(server, alice);
      const taken = await whoami(server, sessionId, otherClient);
      expectSessionNotFound(server, taken.result);
      expect(taken.runs).toBe(0);
      // A refreshed token of the same owner (new jti, other scopes) keeps the session.
      const refreshed = await env.mint(server, { scope: 'todo:read todo:write' });
      const owner = await whoami(server, sessionId, refreshed);
      expect(owner.result.status).toBe(200);
      expect(owner.seen).toMatchObject({ sub: 'alice', scopes: ['todo:read', 'todo:write'] });
    });
  });
});

describe('no tokenless request on a session', () => {
  const env = useSecurityEnvironment({ policy: { ...SCOPE_POLICY, publicMethods: ['ping'] } });
  const PING_AND_RESPONSE =
    '[{"jsonrpc":"2.0","method":"ping","id":9},{"jsonrpc":"2.0","id":0,"result":{}}]';

  describeEachAdapter('publicMethods with session binding', (adapter) => {
    const shared = sessionPerServer(env, 'todo:read');
    /** A session of alice's on `server`. */
    const aliceSession = async (server: SecurityServer) => (await shared(server)).sessionId;

    it('refuses a public ping batched with a JSON-RPC response on someone’s session (401)', async () => {
      // Finding 4: a batch of only public requests and responses, sent without a token, was
      // public — and entered whatever session its Mcp-Session-Id named (a forged elicitation
      // or sampling result delivered into another user's session).
      const server = env.server(adapter);
      const sessionId = await aliceSession(server);
      const res = await sendOnSession(server, sessionId, undefined, PING_AND_RESPONSE);
      expectDenial(res, { status: 401, challenge: challengeFor(server), body: MISSING });
      expect(server.decisions.at(-1)).toMatchObject({ reason: 'missing_credentials' });
    });

    it('refuses a lone public ping on a session without a token (401)', async () => {
      // Finding 4: a public method never opens a session's door.
      const server = env.server(adapter);
      const sessionId = await aliceSession(server);
      const res = await sendOnSession(server, sessionId, undefined, {
        jsonrpc: '2.0',
        method: 'ping',
        id: 9,
      });
      expectDenial(res, { status: 401, challenge: challengeFor(server), body: MISSING });
    });

    it('refuses a lone JSON-RPC response without a token, with or without a session (401)', async () => {
      // Finding 4: a response is never public.
      const server = env.server(adapter);
      const sessionId = await aliceSession(server);
      const response = { jsonrpc: '2.0', id: 0, result: {} };
      for (const res of [
        await sendOnSession(server, sessionId, undefined, response),
        await postMcp(server, response),
        await postMcp(server, PING_AND_RESPONSE),
      ]) {
        expectDenial(res, { status: 401, challenge: challengeFor(server), body: MISSING });
      }
    });

    it('still lets a ping without a session id through without a token (control)', async () => {
      // Finding 4, control: publicMethods keeps working off-session. The stateful server then
      // answers 400 itself, as it does any request outside a session.
      const server = env.server(adapter);
      const res = await postMcp(server, { jsonrpc: '2.0', method: 'ping', id: 9 });
      expect(server.decisions.at(-1)).toMatchObject({
        outcome: 'allow',
        reason: 'public_method',
      });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32000, message: 'Bad Request: No valid session ID provided' },
      });
      // …and alice's session still answers alice.
      const alice = await env.mint(server, { scope: 'todo:read' });
      const owner = await whoami(server, await aliceSession(server), alice);
      expect(owner.result.status).toBe(200);
    });
  });

  it('refuses publicMethods: [initialize] while session binding is on (TypeError)', () => {
    // Finding 4: an anonymous initialize would create a session nobody owns.
    const options = {
      resource: 'http://127.0.0.1:3000/mcp',
      issuer: 'http://127.0.0.1:3001',
      policy: { publicMethods: ['ping', 'initialize'] },
    };
    expect(() => createMcpAuth(options)).toThrow(TypeError);
    expect(() => createMcpAuth(options)).toThrow(
      /"policy\.publicMethods" must not contain initialize/,
    );
    expect(() => createMcpAuth({ ...options, sessionBinding: { maxSessions: 5 } })).toThrow(
      /policy\.publicMethods/,
    );
    expect(() => createMcpAuth({ ...options, sessionBinding: false })).not.toThrow();
  });
});
