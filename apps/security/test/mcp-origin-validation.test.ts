/**
 * Origin validation (MCP Streamable HTTP transport security: servers MUST validate `Origin` to
 * prevent DNS rebinding) done by the core, in the same decision as the token, whatever path
 * spelling the framework routed to the endpoint. Over HTTP on every adapter with the core's
 * default for a loopback resource (the harness's `http://127.0.0.1:<port>/mcp`): loopback
 * origins only.
 */
import { describe, expect, it } from 'vitest';
import {
  type AdapterName,
  callTool,
  challengeFor,
  deleteSession,
  describeEachAdapter,
  expectDenial,
  MCP_PATH,
  openSession,
  openStream,
  rawPathRequest,
  type RawResponse,
  type SecurityServer,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
  withOrigin,
  sessionPerServer,
} from '../src/index.js';

const EVIL = 'https://evil.example';
const ORIGIN_NOT_ALLOWED = { error: 'invalid_origin', error_description: 'Origin not allowed' };
const NOT_FOUND = { error: 'not_found', error_description: 'Not found' };

/** What the MCP Inspector, a Vite dev server and an IPv6 loopback page send. */
const LOOPBACK_ORIGINS = ['http://localhost:6274', 'http://127.0.0.1:5173', 'http://[::1]:8080'];

/** Origins that resemble a loopback one; each must be refused. */
const LOOKALIKES = [
  'http://127.0.0.1.evil.example',
  'http://localhost.evil.example',
  'null',
  'http://localhost:6274/path',
  'http://localhost:6274/',
  'http://localhost@evil.example',
  'ws://localhost:6274',
  'http://0x7f.0.0.1:8080',
  'http://0.0.0.0:6274',
];

/**
 * Whether the framework routes the percent-encoded path `/%6Dcp` to the `/mcp` route. Fastify
 * (find-my-way) and Hono decode it; Express 5 (path-to-regexp on the raw path) does not, so on
 * Express `/%6Dcp` is not the MCP endpoint at all and the app's catch-all answers 404.
 */
const ROUTES_ENCODED_PATH: Record<AdapterName, boolean> = {
  express: false,
  fastify: true,
  hono: true,
};
const ENCODED_PATH = '/%6Dcp';

function expectOriginRefused(server: SecurityServer, res: RawResponse) {
  expectDenial(res, { status: 403, challenge: challengeFor(server), body: ORIGIN_NOT_ALLOWED });
  expect(res.headers['access-control-allow-origin']).toBeUndefined();
}

function preflight(server: SecurityServer, origin: string, path = MCP_PATH) {
  return server.send({
    method: 'OPTIONS',
    path,
    headers: [
      ['Origin', origin],
      ['Access-Control-Request-Method', 'POST'],
      ['Access-Control-Request-Headers', 'authorization, content-type, mcp-session-id'],
    ],
  });
}

describe('the default for a loopback resource', () => {
  const env = useSecurityEnvironment();

  /** A session per server, opened by a genuine token without any Origin. */
  const sessionOf = sessionPerServer(env, 'todo:read');

  describeEachAdapter('a foreign Origin', (adapter) => {
    it('refuses POST, GET and DELETE on /mcp from https://evil.example with a valid token', async () => {
      // Finding 5: Origin validation was left to the samples' own code, which compared the raw
      // URL; now the core refuses a foreign Origin on every method.
      const server = env.server(adapter);
      const { sessionId, token } = await sessionOf(server);
      const count = server.sessionCount();
      const { runs, result } = await toolRunsDuring(server, () =>
        callTool(server, withOrigin(EVIL, { token, sessionId }), 'list_todos'),
      );
      expectOriginRefused(server, result);
      expect(runs).toBe(0);
      expectOriginRefused(server, await openStream(server, sessionId, token, { origin: EVIL }));
      expectOriginRefused(server, await deleteSession(server, sessionId, token, { origin: EVIL }));
      expect(server.sessionCount()).toBe(count); // the DELETE did not end the session
      expect((await callTool(server, { token, sessionId }, 'list_todos')).status).toBe(200);
    });

    it('refuses the CORS preflight of /mcp from https://evil.example', async () => {
      // Finding 5.
      const server = env.server(adapter);
      const res = await preflight(server, EVIL);
      expectDenial(res, { status: 403, challenge: null, body: ORIGIN_NOT_ALLOWED });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
    });

    if (ROUTES_ENCODED_PATH[adapter]) {
      it(`refuses POST, GET, DELETE and OPTIONS on ${ENCODED_PATH} (routed to /mcp) from https://evil.example`, async () => {
        // Finding 5: sample-fastify compared the raw `request.url` with '/mcp', so
        // `/%6Dcp` — routed to the same handler — skipped its Origin check.
        const server = env.server(adapter);
        const { sessionId, token } = await sessionOf(server);
        const count = server.sessionCount();
        const { runs, result } = await toolRunsDuring(server, () =>
          rawPathRequest(server, ENCODED_PATH, {
            body: toolCall('list_todos'),
            token,
            sessionId,
            origin: EVIL,
          }),
        );
        expectOriginRefused(server, result);
        expect(runs).toBe(0);
        for (const method of ['GET', 'DELETE']) {
          const res = await rawPathRequest(server, ENCODED_PATH, {
            method,
            token,
            sessionId,
            origin: EVIL,
          });
          expectOriginRefused(server, res);
        }
        expect(server.sessionCount()).toBe(count);
        const res = await preflight(server, EVIL, ENCODED_PATH);
        expectDenial(res, { status: 403, challenge: null, body: ORIGIN_NOT_ALLOWED });
        // The path does reach the endpoint: without an Origin the same request is served.
        const served = await toolRunsDuring(server, () =>
          rawPathRequest(server, ENCODED_PATH, { body: toolCall('list_todos'), token, sessionId }),
        );
        expect(served.result.status).toBe(200);
        expect(served.runs).toBe(1);
      });
    } else {
      it(`does not serve ${ENCODED_PATH} at all (404 from the app, no decision, no tool)`, async () => {
        // Finding 5: Express does not route `/%6Dcp` to `/mcp`, so there is no endpoint to
        // bypass — with or without an Origin, every method gets the app's 404.
        const server = env.server(adapter);
        const { sessionId, token } = await sessionOf(server);
        const decisions = server.decisions.length;
        for (const origin of [EVIL, undefined]) {
          for (const method of ['POST', 'GET', 'DELETE', 'OPTIONS']) {
            const { runs, result } = await toolRunsDuring(server, () =>
              rawPathRequest(server, ENCODED_PATH, {
                method,
                token,
                sessionId,
                ...(method === 'POST' ? { body: toolCall('list_todos') } : {}),
                ...(origin === undefined ? {} : { origin }),
              }),
            );
            expectDenial(result, { status: 404, body: NOT_FOUND });
            expect(runs).toBe(0);
          }
        }
        expect(server.decisions.length).toBe(decisions); // never reached the MCP endpoint
      });
    }

    it.each(LOOKALIKES)(
      'refuses the look-alike origin %s (request and preflight)',
      async (origin) => {
        // Finding 5: only exact loopback origins pass.
        const server = env.server(adapter);
        const { sessionId, token } = await sessionOf(server);
        const { runs, result } = await toolRunsDuring(server, () =>
          callTool(server, withOrigin(origin, { token, sessionId }), 'list_todos'),
        );
        expectOriginRefused(server, result);
        expect(runs).toBe(0);
        const res = await preflight(server, origin);
        expectDenial(res, { status: 403, challenge: null, body: ORIGIN_NOT_ALLOWED });
      },
    );
  });

  describeEachAdapter('loopback origins and no Origin', (adapter) => {
    it.each(LOOPBACK_ORIGINS)(
      'allows %s with a valid token (request and preflight)',
      async (origin) => {
        // Finding 5, control: local web clients (the MCP Inspector) keep working.
        const server = env.server(adapter);
        const { sessionId, token } = await sessionOf(server);
        const { runs, result } = await toolRunsDuring(server, () =>
          callTool(server, withOrigin(origin, { token, sessionId }), 'list_todos'),
        );
        expect(result.status).toBe(200);
        expect(runs).toBe(1);
        expect(result.headers['access-control-allow-origin']).toBe(origin);
        const res = await preflight(server, origin);
        expect(res.status).toBe(204);
        expect(res.headers['access-control-allow-origin']).toBe(origin);
      },
    );

    it('allows a request without an Origin (non-browser clients)', async () => {
      // Finding 5, control.
      const server = env.server(adapter);
      const { sessionId, token } = await sessionOf(server);
      const { runs, result } = await toolRunsDuring(server, () =>
        callTool(server, { token, sessionId }, 'list_todos'),
      );
      expect(result.status).toBe(200);
      expect(runs).toBe(1);
      expect(result.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe("an allow-list with 'loopback' and a web client", () => {
  const APP = 'https://app.example';
  const env = useSecurityEnvironment({ cors: { allowedOrigins: ['loopback', APP] } });

  describeEachAdapter("allowedOrigins: ['loopback', 'https://app.example']", (adapter) => {
    it('allows app.example and loopback origins, refuses the rest', async () => {
      // Finding 5: an explicit list extends the default rather than opening everything.
      const server = env.server(adapter);
      const token = await env.mint(server, { scope: 'todo:read' });
      const { sessionId } = await openSession(server, token);
      for (const origin of [APP, 'http://localhost:6274']) {
        const { runs, result } = await toolRunsDuring(server, () =>
          callTool(server, withOrigin(origin, { token, sessionId }), 'list_todos'),
        );
        expect(result.status).toBe(200);
        expect(runs).toBe(1);
        expect(result.headers['access-control-allow-origin']).toBe(origin);
        expect((await preflight(server, origin)).status).toBe(204);
      }
      for (const origin of [EVIL, 'https://app.example.evil.example', 'http://app.example']) {
        const { runs, result } = await toolRunsDuring(server, () =>
          callTool(server, withOrigin(origin, { token, sessionId }), 'list_todos'),
        );
        expectOriginRefused(server, result);
        expect(runs).toBe(0);
      }
    });
  });
});
