/**
 * RFC 6750 §2 (how a bearer token may be sent) and §3.1 (the errors), attacked over HTTP on
 * every adapter: tokens smuggled in through other places and schemes, duplicated or
 * comma-joined credentials, malformed `Authorization` values. Each request targets a session a
 * genuine token opened and calls a tool the genuine token may call, so only the way the token is
 * sent decides the answer.
 */
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  type AdapterName,
  challengeFor,
  deleteSession,
  expectDenial,
  expectInvalidRequest,
  expectInvalidToken,
  type HeaderPairs,
  mcpHeaders,
  openStream,
  type SecurityServer,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
  sessionPerServer,
} from '../src/index.js';

const env = useSecurityEnvironment();

const MISSING = { error: 'missing_credentials', error_description: 'Authorization required' };

/** One way of sending the token: the extra headers and path, and the expected answer. */
interface Delivery {
  name: string;
  /** `token` is a genuine token allowed to call `list_todos`. */
  send(token: string): { headers: HeaderPairs; path?: string };
  expect:
    | { kind: 'missing' }
    | { kind: 'invalid_request'; description: string; web?: string }
    | { kind: 'invalid_token'; description: string }
    | { kind: 'allowed' };
}

const auth = (value: string): HeaderPairs => [['Authorization', value]];

const DELIVERIES: Delivery[] = [
  // §2.3 is not offered and §2.2 needs a form body: both are "no credentials".
  {
    name: 'only in the query string (access_token)',
    send: (t) => ({ headers: [], path: `/mcp?access_token=${t}` }),
    expect: { kind: 'missing' },
  },
  {
    name: 'in a cookie',
    send: (t) => ({ headers: [['Cookie', `access_token=${t}`]] }),
    expect: { kind: 'missing' },
  },
  {
    name: 'in an X-Access-Token header',
    send: (t) => ({ headers: [['X-Access-Token', t]] }),
    expect: { kind: 'missing' },
  },
  {
    name: 'in Proxy-Authorization',
    send: (t) => ({ headers: [['Proxy-Authorization', `Bearer ${t}`]] }),
    expect: { kind: 'missing' },
  },
  ...['Basic', 'Token', 'JWT', 'OAuth', 'Bearer-Token', 'Bearerx'].map(
    (scheme): Delivery => ({
      name: `under the ${scheme} scheme`,
      send: (t) => ({ headers: auth(`${scheme} ${t}`) }),
      expect: { kind: 'missing' },
    }),
  ),
  // §2: one method, one token.
  {
    name: 'in the header and the query string',
    send: (t) => ({ headers: auth(`Bearer ${t}`), path: `/mcp?access_token=${t}` }),
    expect: { kind: 'invalid_request', description: 'Bearer token sent more than one way' },
  },
  {
    // Decoded by every query parser to `access_token`.
    name: 'in the header and a percent-encoded access_token query parameter (acc%65ss_token)',
    send: (t) => ({ headers: auth(`Bearer ${t}`), path: `/mcp?acc%65ss_token=${t}` }),
    expect: { kind: 'invalid_request', description: 'Bearer token sent more than one way' },
  },
  {
    name: 'in the header and a fully percent-encoded access_token query parameter',
    send: (t) => ({
      headers: auth(`Bearer ${t}`),
      path: `/mcp?x=1&%61%63%63%65%73%73%5F%74%6F%6B%65%6E=${t}`,
    }),
    expect: { kind: 'invalid_request', description: 'Bearer token sent more than one way' },
  },
  {
    name: 'twice, in two Authorization headers',
    send: (t) => ({ headers: [...auth(`Bearer ${t}`), ...auth(`Bearer ${t}`)] }),
    expect: {
      kind: 'invalid_request',
      description: 'Multiple Authorization headers',
      web: 'Multiple Authorization credentials',
    },
  },
  {
    name: 'with a second, garbage Authorization header first',
    send: (t) => ({ headers: [...auth('Bearer garbage'), ...auth(`Bearer ${t}`)] }),
    expect: {
      kind: 'invalid_request',
      description: 'Multiple Authorization headers',
      web: 'Multiple Authorization credentials',
    },
  },
  {
    name: 'comma-joined with another Bearer credential',
    send: (t) => ({ headers: auth(`Bearer ${t}, Bearer ${t}`) }),
    expect: { kind: 'invalid_request', description: 'Multiple Authorization credentials' },
  },
  {
    name: 'comma-joined after a Basic credential',
    send: (t) => ({ headers: auth(`Basic dXNlcjpwYXNz, Bearer ${t}`) }),
    expect: { kind: 'invalid_request', description: 'Multiple Authorization credentials' },
  },
  // §2.1: b64token syntax.
  {
    name: 'as an empty Bearer credential',
    send: () => ({ headers: auth('Bearer') }),
    expect: { kind: 'invalid_request', description: 'Empty bearer token' },
  },
  {
    name: 'followed by a second word',
    send: (t) => ({ headers: auth(`Bearer ${t} ${t}`) }),
    expect: { kind: 'invalid_request', description: 'Malformed bearer token' },
  },
  {
    name: 'quoted',
    send: (t) => ({ headers: auth(`Bearer "${t}"`) }),
    expect: { kind: 'invalid_request', description: 'Malformed bearer token' },
  },
  {
    name: 'with a trailing semicolon',
    send: (t) => ({ headers: auth(`Bearer ${t};`) }),
    expect: { kind: 'invalid_request', description: 'Malformed bearer token' },
  },
  {
    name: 'with Latin-1 characters',
    send: (t) => ({ headers: auth(`Bearer ${t}\u00e9`) }),
    expect: { kind: 'invalid_request', description: 'Malformed bearer token' },
  },
  {
    name: 'after a tab instead of a space',
    send: (t) => ({ headers: auth(`Bearer\t${t}`) }),
    expect: { kind: 'invalid_request', description: 'Malformed Authorization header' },
  },
  {
    name: 'after a colon',
    send: (t) => ({ headers: auth(`Bearer:${t}`) }),
    expect: { kind: 'invalid_request', description: 'Malformed Authorization header' },
  },
  {
    name: 'after a leading comma',
    send: (t) => ({ headers: auth(`, Bearer ${t}`) }),
    expect: { kind: 'invalid_request', description: 'Malformed Authorization header' },
  },
  {
    name: 'with base64 padding appended (token68 allows it, the JWS does not)',
    send: (t) => ({ headers: auth(`Bearer ${t}==`) }),
    expect: { kind: 'invalid_token', description: 'malformed token' },
  },
  // The controls: what RFC 6750 and RFC 7235 do allow.
  {
    name: 'under a lower-case scheme (allowed)',
    send: (t) => ({ headers: auth(`bearer ${t}`) }),
    expect: { kind: 'allowed' },
  },
  {
    name: 'under an upper-case scheme after several spaces (allowed)',
    send: (t) => ({ headers: auth(`BEARER    ${t}`) }),
    expect: { kind: 'allowed' },
  },
];

/** A session per server, opened by a genuine `todo:read` token. */
const sessionOf = sessionPerServer(env, 'todo:read');

function expectAnswer(
  adapter: AdapterName,
  server: SecurityServer,
  res: Awaited<ReturnType<SecurityServer['send']>>,
  expected: Delivery['expect'],
) {
  switch (expected.kind) {
    case 'missing':
      return expectDenial(res, {
        status: 401,
        challenge: challengeFor(server, { scope: 'todo:read' }),
        body: MISSING,
      });
    case 'invalid_request':
      return expectInvalidRequest(
        res,
        server,
        adapter === 'hono' ? (expected.web ?? expected.description) : expected.description,
      );
    case 'invalid_token':
      return expectInvalidToken(res, server, expected.description, 'todo:read');
    case 'allowed':
      return expect(res.status).toBe(200);
  }
}

describe.each(ADAPTERS)('RFC 6750 bearer token delivery over HTTP (%s)', (adapter) => {
  it.each(DELIVERIES)('token $name', async ({ send, expect: expected }) => {
    const server = env.server(adapter);
    const { sessionId, token } = await sessionOf(server);
    const delivery = send(token);
    const { runs, result } = await toolRunsDuring(server, () =>
      server.send({
        method: 'POST',
        path: delivery.path ?? '/mcp',
        headers: [...mcpHeaders({ sessionId }), ...delivery.headers],
        body: JSON.stringify(toolCall('list_todos')),
      }),
    );
    expectAnswer(adapter, server, result, expected);
    expect(runs).toBe(expected.kind === 'allowed' ? 1 : 0);
  });

  it('answers a token sent only in a form body with the no-credentials 401; no tool runs', async () => {
    // §2.2 is not offered, so a form-body token is no credentials at all: the challenge without
    // `error` (§3.1), whatever the body. It names no scope: a form body names no operation and
    // the harness policy has no baseline. (Was 400 -32700 "Request body is required".)
    const server = env.server(adapter);
    const { sessionId, token } = await sessionOf(server);
    const { runs, result } = await toolRunsDuring(server, () =>
      server.send({
        method: 'POST',
        headers: [...mcpHeaders({ sessionId, contentType: 'application/x-www-form-urlencoded' })],
        body: `access_token=${token}`,
      }),
    );
    expectDenial(result, { status: 401, challenge: challengeFor(server), body: MISSING });
    expect(runs).toBe(0);
  });

  it('refuses a forged token on GET (the SSE stream) and DELETE; the session survives', async () => {
    const server = env.server(adapter);
    const { sessionId, token } = await sessionOf(server);
    const forged = env.remember(`${token.slice(0, -4)}AAAA`);
    const stream = await openStream(server, sessionId, forged);
    expectInvalidToken(stream, server, 'invalid signature');
    const deleted = await deleteSession(server, sessionId, forged);
    expectInvalidToken(deleted, server, 'invalid signature');
    const queryOnly = await server.send({
      method: 'DELETE',
      path: `/mcp?access_token=${token}`,
      headers: mcpHeaders({ sessionId }, false),
    });
    expectDenial(queryOnly, { status: 401, challenge: challengeFor(server), body: MISSING });
    // The owner's session is still there.
    const { runs, result } = await toolRunsDuring(server, () =>
      server.send({
        method: 'POST',
        headers: mcpHeaders({ sessionId, token }),
        body: JSON.stringify(toolCall('list_todos')),
      }),
    );
    expect(result.status).toBe(200);
    expect(runs).toBe(1);
  });
});
