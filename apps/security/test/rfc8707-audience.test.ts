/**
 * RFC 8707 §2 / RFC 9068 §4: the token's `aud` must name this resource. Spellings a WHATWG URL
 * parser would "repair" into the resource (backslashes, a tab in the host, dot segments, a
 * fragment, a trailing slash…) name something else and are refused — over HTTP on every
 * adapter. Only scheme/host case, an explicit default port and `/` as the whole path are
 * tolerated (the harness's resource has a path and a non-default port, so only case applies).
 */
import { expect, it } from 'vitest';
import {
  callTool,
  describeEachAdapter,
  expectInvalidToken,
  openSession,
  postMcp,
  type SecurityServer,
  toolCall,
  toolRunsDuring,
  useSecurityEnvironment,
} from '../src/index.js';

const env = useSecurityEnvironment();

/** `http://127.0.0.1:<port>` parts of a server. */
function parts(server: SecurityServer) {
  return { port: new URL(server.url).port, resource: server.resource };
}

/** Audiences that are not the resource, each refused. */
const REFUSED: Array<{ name: string; aud: (s: SecurityServer) => unknown }> = [
  { name: 'backslashes', aud: (s) => `http:\\\\127.0.0.1:${parts(s).port}\\mcp` },
  { name: 'a fragment', aud: (s) => `${s.resource}#frag` },
  { name: 'a dot-dot segment', aud: (s) => `${s.resource}/x/..` },
  { name: 'a dot segment', aud: (s) => `http://127.0.0.1:${parts(s).port}/./mcp` },
  { name: 'a tab inside the host', aud: (s) => `http://127.0.\t0.1:${parts(s).port}/mcp` },
  { name: 'a trailing slash', aud: (s) => `${s.resource}/` },
  { name: 'a line feed at the end', aud: (s) => `${s.resource}\n` },
  { name: 'a leading space', aud: (s) => ` ${s.resource}` },
  { name: 'userinfo', aud: (s) => `http://user@127.0.0.1:${parts(s).port}/mcp` },
  { name: 'a trailing dot in the host', aud: (s) => `http://127.0.0.1.:${parts(s).port}/mcp` },
  { name: 'a leading zero in the port', aud: (s) => `http://127.0.0.1:0${parts(s).port}/mcp` },
  { name: 'a percent-encoded path', aud: (s) => `http://127.0.0.1:${parts(s).port}/%6Dcp` },
  { name: 'the path in upper case', aud: (s) => `http://127.0.0.1:${parts(s).port}/MCP` },
  { name: 'a double slash', aud: (s) => `http://127.0.0.1:${parts(s).port}//mcp` },
  { name: 'an empty query', aud: (s) => `${s.resource}?` },
  {
    name: 'only repaired spellings in an array',
    aud: (s) => [`${s.resource}/`, `${s.resource}#frag`, 'https://other.example/mcp'],
  },
];

/** Audiences that name the resource, each accepted. */
const ACCEPTED: Array<{ name: string; aud: (s: SecurityServer) => unknown }> = [
  { name: 'the resource itself', aud: (s) => s.resource },
  { name: 'the scheme in upper case', aud: (s) => `HTTP://127.0.0.1:${parts(s).port}/mcp` },
  { name: 'the scheme in mixed case', aud: (s) => `hTtP://127.0.0.1:${parts(s).port}/mcp` },
  { name: 'the resource in an array', aud: (s) => ['https://other.example/mcp', s.resource] },
];

describeEachAdapter('aud spellings that are not the resource', (adapter) => {
  it.each(REFUSED)('refuses aud with $name (401 invalid_token)', async ({ aud }) => {
    // Finding 8: `aud` went through the URL parser, which turned these into the resource.
    const server = env.server(adapter);
    const token = await env.mint(server, { scope: 'todo:read', claims: { aud: aud(server) } });
    const { runs, result } = await toolRunsDuring(server, () =>
      postMcp(server, toolCall('list_todos'), { token }),
    );
    expectInvalidToken(result, server, 'audience mismatch', 'todo:read');
    expect(runs).toBe(0);
  });
});

describeEachAdapter('aud spellings that are the resource (controls)', (adapter) => {
  it.each(ACCEPTED)('accepts aud with $name', async ({ aud }) => {
    // Finding 8, control: scheme case is a spelling of the same resource.
    const server = env.server(adapter);
    const token = await env.mint(server, { scope: 'todo:read', claims: { aud: aud(server) } });
    const { sessionId } = await openSession(server, token);
    const { runs, result } = await toolRunsDuring(server, () =>
      callTool(server, { token, sessionId }, 'list_todos'),
    );
    expect(result.status).toBe(200);
    expect(runs).toBe(1);
  });
});
