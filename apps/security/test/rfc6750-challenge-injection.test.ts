/**
 * Header injection through the `WWW-Authenticate` challenge (RFC 6750 §3: quoted values may
 * hold %x20-21 / %x23-5B / %x5D-7E only; RFC 9110 §5.5: no CR, LF or NUL in a field value).
 * The one attacker-controlled text a challenge can carry is a tool name (`denyUnnamedTools`
 * puts "Tool <name> is not available" in `error_description`); granted scopes are another
 * candidate. Line breaks in request headers are tried too. Over HTTP on every adapter.
 */
import { parseChallenge } from '@org/mcp-auth-core';
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  challengeFor,
  expectDenial,
  expectInsufficientScope,
  postMcp,
  quotable,
  type RawResponse,
  SCOPE_POLICY,
  sendRawBytes,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
  VALID_ARGS,
  sessionPerServer,
} from '../src/index.js';

const env = useSecurityEnvironment({ policy: { ...SCOPE_POLICY, denyUnnamedTools: true } });

/** What RFC 6750 allows inside a quoted challenge value, written independently of the core. */
const QUOTED_VALUE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const HOSTILE_NAMES = [
  'evil\r\nSet-Cookie: session=attacker',
  'evil\nX-Injected: 1',
  'evil\rX-Injected: 1',
  'a", error="invalid_token", scope="admin:all',
  'a\\", scope=\\"admin:all',
  'back\\slash\\',
  'nul\u0000byte',
  'tab\tand\u000bvertical',
  'unicode \u2028 line \u2029 separators',
  'emoji 🔓 and ünïcödé',
  `${'x'.repeat(63)}🔓 surrogate cut at 64`,
  'x'.repeat(5_000),
  '"',
  '\\',
  '\r\n\r\n<body>HTTP/1.1 200 OK',
];

/** A session per server, opened by a `todo:read` token. */
const readerSession = sessionPerServer(env, 'todo:read');

/** Exactly one `WWW-Authenticate`, RFC 6750-clean, parsing to the expected parameters. */
function expectCleanChallenge(res: RawResponse, expected: Record<string, string>) {
  const challenges = res.rawHeaders.filter(([name]) => name.toLowerCase() === 'www-authenticate');
  expect(challenges).toHaveLength(1);
  const header = challenges[0]![1];
  expect(header).toMatch(/^Bearer /);
  for (const match of header.matchAll(/="([^"]*)"/g)) expect(match[1]).toMatch(QUOTED_VALUE);
  expect(parseChallenge(header)?.params).toEqual(expected);
  // Nothing the name carried became a header of its own.
  const names = res.rawHeaders.map(([name]) => name.toLowerCase());
  expect(names).not.toContain('set-cookie');
  expect(names).not.toContain('x-injected');
}

/**
 * A client-chosen name as the core puts it in descriptions and audit events (its documented
 * rule): at most 128 characters, C0/C1 controls, DEL and U+2028/U+2029 replaced by U+FFFD.
 */
function cleaned(name: string): string {
  return [...name.slice(0, 128)]
    .map((c) => {
      const code = c.charCodeAt(0);
      const control =
        code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
      return control ? '\ufffd' : c;
    })
    .join('');
}

describe.each(ADAPTERS)('challenge injection over HTTP (%s)', (adapter) => {
  it.each(HOSTILE_NAMES.map((name) => [JSON.stringify(name).slice(0, 60), name]))(
    'tool name %s never reaches WWW-Authenticate unescaped',
    async (_label, name) => {
      const server = env.server(adapter);
      const { sessionId, token } = await readerSession(server);
      const { runs, result } = await toolRunsDuring(server, () =>
        postMcp(server, toolCall(name, {}), { token, sessionId }),
      );
      const description = `Tool ${cleaned(name).slice(0, 64)} is not available`;
      expectDenial(result, {
        status: 403,
        challenge: challengeFor(server, {
          error: 'insufficient_scope',
          description,
          scope: 'todo:read',
        }),
        body: { error: 'insufficient_scope', error_description: description },
      });
      expectCleanChallenge(result, {
        error: 'insufficient_scope',
        error_description: quotable(description),
        resource_metadata: server.metadataUrl,
        scope: 'todo:read',
      });
      expect(runs).toBe(0);
    },
  );

  it('a hostile name inside a batch is refused the same way', async () => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const name = 'x"\r\nSet-Cookie: a=b';
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, [toolCall('list_todos', {}, 1), toolCall(name, {}, 2)], { token, sessionId }),
    );
    expect(result.status).toBe(403);
    expectCleanChallenge(result, {
      error: 'insufficient_scope',
      error_description: quotable(`Tool ${name} is not available`),
      resource_metadata: server.metadataUrl,
      scope: 'todo:read',
    });
    expect(runs).toBe(0);
  });

  it('granted scopes outside scopes_supported are never echoed into the challenge', async () => {
    const server = env.server(adapter);
    const { sessionId } = await readerSession(server);
    // Valid scope-tokens (RFC 6749 §3.3) chosen to look like challenge syntax.
    const token = await env.mint(server, {
      scope: 'todo:read admin:all x=1,error=invalid_token realm=evil',
    });
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('add_todo', VALID_ARGS.add_todo), { token, sessionId }),
    );
    expectInsufficientScope(result, server, 'todo:write', 'todo:write todo:read');
    expectCleanChallenge(result, {
      error: 'insufficient_scope',
      error_description: 'Missing required scope: todo:write',
      resource_metadata: server.metadataUrl,
      scope: 'todo:write todo:read',
    });
    expect(runs).toBe(0);
  });

  it.each([
    ['obsolete line folding', (t: string) => `Authorization: Bearer\r\n ${t}`],
    ['a bare CR', (t: string) => `Authorization: Bearer ${t}\rX-Injected: 1`],
    ['a bare LF', (t: string) => `Authorization: Bearer ${t}\nX-Injected: 1`],
    ['a NUL byte', (t: string) => `Authorization: Bearer ${t}\u0000`],
    ['a space before the colon', (t: string) => `Authorization : Bearer ${t}`],
  ])('an Authorization header with %s is refused by the HTTP parser', async (_label, header) => {
    const server = env.server(adapter);
    const { sessionId, token } = await readerSession(server);
    const body = JSON.stringify(toolCall('list_todos'));
    const request = [
      'POST /mcp HTTP/1.1',
      `Host: ${new URL(server.url).host}`,
      header(token),
      'Content-Type: application/json',
      'Accept: application/json, text/event-stream',
      `Mcp-Session-Id: ${sessionId}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n');
    const before = server.toolCalls.length;
    const answer = await sendRawBytes(server.url, request);
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(answer).not.toMatch(/x-injected/i);
    expect(server.toolCalls.length - before).toBe(0);
  });
});
