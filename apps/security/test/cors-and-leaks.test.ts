/**
 * CORS on the MCP endpoint (MCP security best practices: DNS rebinding and cross-origin
 * callers; Fetch standard CORS protocol) and leaks (RFC 6750 §5.3, RFC 9700 §4.15, MCP
 * "never log tokens"): no token, stack trace or file path in any response body, header or log
 * line, whatever the request. Over HTTP on every adapter, with an explicit origin allow-list.
 */
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  challengeFor,
  deleteSession,
  expectDenial,
  expectNoInternals,
  findLeaks,
  MAX_BODY_BYTES,
  mcpHeaders,
  openSession,
  openStream,
  postMcp,
  type RawResponse,
  type SecurityServer,
  toolCall,
  toolRunsDuring,
  unsecuredJwt,
  useSecurityEnvironment,
  VALID_ARGS,
  withOrigin,
  sessionPerServer,
} from '../src/index.js';

const APP = 'https://app.example';
const env = useSecurityEnvironment({ cors: { allowedOrigins: [APP] } });

const ORIGIN_NOT_ALLOWED = { error: 'invalid_origin', error_description: 'Origin not allowed' };

/** Origins that resemble the allowed one; each must be refused. */
const LOOKALIKES = [
  'https://app.example.evil.example',
  'https://evil.example',
  'https://evilapp.example',
  'http://app.example',
  'https://app.example:8443',
  'https://app.example.',
  'https://APP.EXAMPLE',
  'null',
  `${APP}/path`,
  `${APP}, https://evil.example`,
  'https://evil.example/https://app.example',
];

/** A session per server, opened by a token that may call everything. */
const sessionOf = sessionPerServer(env, 'todo:read todo:write calendar:read calendar:write');

function expectCorsFor(res: RawResponse, origin: string) {
  expect(res.headers['access-control-allow-origin']).toBe(origin);
  expect(res.headers['access-control-expose-headers']).toContain('WWW-Authenticate');
  expect(res.headers.vary).toContain('Origin');
  expect(res.headers['access-control-allow-credentials']).toBeUndefined();
}

describe.each(ADAPTERS)('CORS on the MCP endpoint (%s)', (adapter) => {
  it('answers the allowed origin preflight without authentication and without credentials', async () => {
    const server = env.server(adapter);
    const res = await server.send({
      method: 'OPTIONS',
      headers: [
        ['Origin', APP],
        ['Access-Control-Request-Method', 'POST'],
        ['Access-Control-Request-Headers', 'authorization, content-type, mcp-session-id'],
      ],
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-allow-headers']).toContain('Authorization');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it.each(LOOKALIKES)('refuses the preflight of origin %s', async (origin) => {
    const server = env.server(adapter);
    const res = await server.send({
      method: 'OPTIONS',
      headers: [
        ['Origin', origin],
        ['Access-Control-Request-Method', 'POST'],
      ],
    });
    expectDenial(res, { status: 403, body: ORIGIN_NOT_ALLOWED });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it.each(LOOKALIKES)('refuses a valid token sent from origin %s; no tool runs', async (origin) => {
    const server = env.server(adapter);
    const { sessionId, token } = await sessionOf(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('list_todos'), withOrigin(origin, { token, sessionId })),
    );
    expectDenial(result, {
      status: 403,
      challenge: challengeFor(server),
      body: ORIGIN_NOT_ALLOWED,
    });
    expect(result.headers['access-control-allow-origin']).toBeUndefined();
    expect(runs).toBe(0);
  });

  it('lets a browser read the challenge of a 401 and a 403 from the allowed origin', async () => {
    const server = env.server(adapter);
    const { sessionId } = await sessionOf(server);
    const unauthenticated = await postMcp(server, toolCall('list_todos'), { origin: APP });
    expect(unauthenticated.status).toBe(401);
    expectCorsFor(unauthenticated, APP);
    const reader = await env.mint(server, { scope: 'todo:read' });
    const forbidden = await postMcp(
      server,
      toolCall('add_todo', VALID_ARGS.add_todo),
      withOrigin(APP, { token: reader, sessionId }),
    );
    expect(forbidden.status).toBe(403);
    expectCorsFor(forbidden, APP);
  });

  it('allows the allowed origin with a valid token (the control)', async () => {
    const server = env.server(adapter);
    const { sessionId, token } = await sessionOf(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('list_todos'), withOrigin(APP, { token, sessionId })),
    );
    expect(result.status).toBe(200);
    expectCorsFor(result, APP);
    expect(runs).toBe(1);
  });
});

describe.each(ADAPTERS)('no leaks in responses (%s)', (adapter) => {
  /** Requests that are refused; none may echo the token or internals. */
  const refusals: Array<{
    name: string;
    send(server: SecurityServer, ctx: { sessionId: string; token: string }): Promise<RawResponse>;
  }> = [
    {
      name: 'an expired token',
      async send(server, { sessionId }) {
        const now = Math.floor(Date.now() / 1000);
        const token = await env.mint(server, { issuedAt: now - 3600, expiresIn: 60 });
        return postMcp(server, toolCall('whoami'), { token, sessionId });
      },
    },
    {
      name: 'a token for another resource',
      async send(server, { sessionId }) {
        const token = await env.mint(server, { claims: { aud: 'https://other.example/mcp' } });
        return postMcp(server, toolCall('whoami'), { token, sessionId });
      },
    },
    {
      name: 'a token from another issuer',
      async send(server, { sessionId }) {
        const token = await env.mint(server, { claims: { iss: 'https://evil.example' } });
        return postMcp(server, toolCall('whoami'), { token, sessionId });
      },
    },
    {
      name: 'a token with a broken signature',
      async send(server, { sessionId, token }) {
        const broken = env.remember(`${token.slice(0, -6)}AAAAAA`);
        return postMcp(server, toolCall('whoami'), { token: broken, sessionId });
      },
    },
    {
      name: 'an unsigned token',
      async send(server, { sessionId }) {
        const token = env.remember(
          unsecuredJwt({ alg: 'none', typ: 'at+jwt' }, env.claims(server, { scope: 'todo:read' })),
        );
        return postMcp(server, toolCall('whoami'), { token, sessionId });
      },
    },
    {
      name: 'a token sent twice',
      send: (server, { sessionId, token }) =>
        server.send({
          method: 'POST',
          headers: [...mcpHeaders({ sessionId, token }), ['Authorization', `Bearer ${token}`]],
          body: JSON.stringify(toolCall('whoami')),
        }),
    },
    {
      name: 'a token with a stray character',
      send: (server, { sessionId, token }) =>
        server.send({
          method: 'POST',
          headers: [...mcpHeaders({ sessionId }), ['Authorization', `Bearer ${token}"`]],
          body: JSON.stringify(toolCall('whoami')),
        }),
    },
    {
      name: 'an insufficient scope',
      async send(server, { sessionId }) {
        const token = await env.mint(server, { scope: 'todo:read' });
        return postMcp(server, toolCall('add_todo', VALID_ARGS.add_todo), { token, sessionId });
      },
    },
    {
      name: 'a body that is not JSON',
      send: (server, { sessionId, token }) =>
        postMcp(server, `{"jsonrpc":"2.0","method":"tools/call","params":${token}`, {
          token,
          sessionId,
        }),
    },
    {
      name: 'a body over the size limit',
      send: (server, { sessionId, token }) =>
        postMcp(server, JSON.stringify(toolCall('whoami')).padEnd(MAX_BODY_BYTES + 1, ' '), {
          token,
          sessionId,
        }),
    },
    {
      name: 'an unknown session id',
      send: (server, { token }) =>
        postMcp(server, toolCall('whoami'), { token, sessionId: 'no-such-session' }),
    },
    {
      name: 'a method the endpoint does not serve',
      send: (server, { sessionId, token }) =>
        server.send({ method: 'PUT', headers: mcpHeaders({ sessionId, token }), body: '{}' }),
    },
    {
      name: 'a JSON body that is a bare string',
      send: (server, { sessionId, token }) =>
        postMcp(server, JSON.stringify(token), { token, sessionId }),
    },
  ];

  it.each(refusals)('$name: refused, nothing sensitive echoed', async ({ send }) => {
    const server = env.server(adapter);
    const ctx = await sessionOf(server);
    const { runs, result } = await toolRunsDuring(server, () => send(server, ctx));
    expect(result.status).toBeGreaterThanOrEqual(400);
    expect(result.status).toBeLessThan(500);
    expectNoInternals(result);
    const everything = [result.text, ...result.rawHeaders.map(([n, v]) => `${n}: ${v}`)];
    expect(findLeaks(everything, env.secrets())).toEqual([]);
    expect(runs).toBe(0);
  });

  it('the SSE stream and DELETE answers carry no token', async () => {
    const server = env.server(adapter);
    const token = await env.mint(server, { scope: 'todo:read' });
    const { sessionId } = await openSession(server, token);
    const stream = await openStream(server, sessionId, token);
    const deleted = await deleteSession(server, sessionId, token);
    for (const res of [stream, deleted]) {
      expect(res.status).toBe(200);
      const everything = [res.text, ...res.rawHeaders.map(([n, v]) => `${n}: ${v}`)];
      expect(findLeaks(everything, env.secrets())).toEqual([]);
    }
  });
});

describe('no leaks anywhere in this file', () => {
  it('no token in any response received, any audit event or any log line', () => {
    expect(env.secrets().length).toBeGreaterThan(20);
    const responses = env.servers.flatMap((s) =>
      s.responses.map((r) => [r.text, ...r.rawHeaders.map(([n, v]) => `${n}: ${v}`)].join('\n')),
    );
    expect(responses.length).toBeGreaterThan(50);
    expect(findLeaks(responses, env.secrets())).toEqual([]);
    const logs = env.logs();
    // The audit trail and Fastify's request log were recorded (the check is not vacuous).
    expect(logs.some((line) => line.includes('"reason":"invalid_token"'))).toBe(true);
    expect(logs.some((line) => line.includes('incoming request'))).toBe(true);
    expect(findLeaks(logs, env.secrets())).toEqual([]);
  });

  it('audit events bound and neutralise attacker-controlled tool names (CR/LF, length)', async () => {
    // DecisionEvent.tool and .tools carried the name exactly as sent — CR/LF included and
    // unbounded — so an application writing events as text lines could be fed forged log
    // lines or flooded. Now: at most 128 characters, controls replaced by U+FFFD.
    const names = [
      {
        sent: 'list_todos\r\n{"outcome":"allow","reason":"authorized"}\u0000\u001b[2J\u0085',
        logged:
          'list_todos\ufffd\ufffd{"outcome":"allow","reason":"authorized"}\ufffd\ufffd[2J\ufffd',
      },
      { sent: `x${'y'.repeat(100_000)}`, logged: `x${'y'.repeat(127)}` },
      { sent: 'a\u2028b\u2029c\u007f', logged: 'a\ufffdb\ufffdc\ufffd' },
      // Cut first, then replaced: the 128th character is the CR.
      { sent: `${'z'.repeat(127)}\r\n`, logged: `${'z'.repeat(127)}\ufffd` },
    ];
    for (const server of env.servers) {
      const { sessionId, token } = await sessionOf(server);
      for (const { sent, logged } of names) {
        await postMcp(server, [toolCall(sent, {}, 1), toolCall('whoami', {}, 2)], {
          token,
          sessionId,
        });
        const event = server.decisions.at(-1);
        expect(event?.tool).toBe(logged);
        expect(event?.tools).toEqual([logged, 'whoami']);
        // Written as a JSON line, the event holds no escaped line break.
        expect(JSON.stringify(event)).not.toMatch(/\\[rn]/);
      }
    }
  });

  it('no audit event carries a token field or a token value', () => {
    for (const server of env.servers) {
      expect(server.decisions.length).toBeGreaterThan(10);
      for (const event of server.decisions) {
        expect(Object.keys(event)).not.toContain('token');
        expect(findLeaks([JSON.stringify(event)], env.secrets())).toEqual([]);
      }
    }
  });
});
