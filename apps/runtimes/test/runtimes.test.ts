import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestIssuer,
  listenTestIssuer,
  type TestIssuer,
  type TestIssuerServer,
} from '@org/mcp-auth-testing';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appRoot,
  dist,
  type RunningServer,
  startProcess,
  startWorkerd,
  stopAll,
} from './runtimes.js';

const RESOURCE = 'http://127.0.0.1/mcp';
const PRM_URL = 'http://127.0.0.1/.well-known/oauth-protected-resource/mcp';
const ORIGIN = 'http://localhost:5173';

let issuer: TestIssuer;
let issuerServer: TestIssuerServer;
/** JWKS responses are delayed by this long (0: none). */
let jwksDelayMs = 0;
/** When each JWKS request arrived, and when each was answered. */
const jwksRequested: number[] = [];
const jwksServed: number[] = [];
const tempDirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-auth-runtimes-'));
  tempDirs.push(dir);
  return dir;
}

beforeAll(async () => {
  let target: TestIssuer | undefined;
  issuerServer = await listenTestIssuer(async (request) => {
    if (target === undefined) return new Response(null, { status: 503 });
    const isJwks = new URL(request.url).pathname === '/jwks';
    if (isJwks) jwksRequested.push(Date.now());
    if (isJwks && jwksDelayMs > 0) await new Promise((r) => setTimeout(r, jwksDelayMs));
    const response = await target.handler(request);
    if (isJwks) jwksServed.push(Date.now());
    return response;
  });
  target = await createTestIssuer({
    issuer: issuerServer.url,
    algorithms: ['ES256'],
    audience: RESOURCE,
    expiresIn: 3600,
  });
  issuer = target;
});

afterAll(async () => {
  await stopAll();
  await issuerServer?.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function appEnv(): Record<string, string> {
  return {
    MCP_AUTH_ISSUER: issuer.issuer,
    MCP_RESOURCE_URL: RESOURCE,
    // Every unknown `kid` fetches the key set again at once: rotation is seen on the next token.
    MCP_AUTH_JWKS_COOLDOWN_MS: '0',
  };
}

let rpcId = 0;

function callTool(url: string, name: string, token?: string, origin?: string): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (origin !== undefined) headers.origin = origin;
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: ++rpcId, method: 'tools/call', params: { name } }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** The value of one `WWW-Authenticate` parameter. */
function param(challenge: string | null, name: string): string | undefined {
  return challenge?.match(new RegExp(`(?:^Bearer |, )${name}="([^"]*)"`))?.[1];
}

async function expectToolResult(response: Response, text: string): Promise<void> {
  expect(response.status).toBe(200);
  const body = (await response.json()) as { result?: { content?: { text?: string }[] } };
  expect(body.result?.content?.[0]?.text).toBe(text);
}

/** The kid in a compact JWS header. */
function kidOf(token: string): string {
  const header = JSON.parse(
    atob((token.split('.')[0] as string).replace(/-/g, '+').replace(/_/g, '/')),
  );
  return header.kid;
}

type Start = () => Promise<RunningServer>;

const RUNTIMES: [name: string, start: Start][] = [
  ['Node (reference)', () => startProcess('node', appEnv(), tempDir())],
  ['Bun 1.4.5', () => startProcess('bun', appEnv(), tempDir())],
  ['Deno 2.9.6', () => startProcess('deno', appEnv(), tempDir())],
  [
    'workerd, compatibility date 2026-11-01',
    () => startWorkerd(join(dist, 'entry-workerd.js'), '2026-11-01', appEnv(), tempDir()),
  ],
  [
    'workerd, compatibility date 2024-09-23',
    () => startWorkerd(join(dist, 'entry-workerd.js'), '2024-09-23', appEnv(), tempDir()),
  ],
];

describe.each(RUNTIMES)('%s', (_name, start) => {
  let server: RunningServer;
  let url: string;

  beforeAll(async () => {
    server = await start();
    url = server.url;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves the Protected Resource Metadata at both locations', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const response = await fetch(`${url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(await response.json()).toEqual({
        resource: RESOURCE,
        authorization_servers: [issuer.issuer],
        scopes_supported: ['todo:read', 'todo:write'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('answers a request without a token with 401 and the challenge', async () => {
    const response = await callTool(url, 'list_todos');
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate');
    expect(challenge).toMatch(/^Bearer /);
    expect(param(challenge, 'resource_metadata')).toBe(PRM_URL);
    expect(param(challenge, 'scope')).toBe('todo:read');
    expect(param(challenge, 'error')).toBeUndefined();
  });

  it('answers CORS preflight without a token', async () => {
    const response = await fetch(`${url}/mcp`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toMatch(
      /authorization/,
    );
  });

  it('runs a tool for a valid token, again and again from the cache, with CORS headers', async () => {
    const token = await issuer.mintAccessToken({ claims: { scope: 'todo:read', sub: 'alice' } });
    const before = issuer.jwksFetchCount;
    for (let i = 0; i < 5; i++) {
      const response = await callTool(url, 'list_todos', token, ORIGIN);
      expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(response.headers.get('access-control-expose-headers')).toMatch(/WWW-Authenticate/i);
      await expectToolResult(response, 'list_todos for alice');
    }
    // The key set is fetched at most once (the first token this server saw), never per request.
    expect(issuer.jwksFetchCount - before).toBeLessThanOrEqual(1);
  });

  it("answers a token without the tool's scope with 403 naming the scope to step up to", async () => {
    const token = await issuer.mintAccessToken({ claims: { scope: 'todo:read' } });
    const response = await callTool(url, 'add_todo', token);
    expect(response.status).toBe(403);
    const challenge = response.headers.get('www-authenticate');
    expect(param(challenge, 'error')).toBe('insufficient_scope');
    expect(param(challenge, 'scope')?.split(' ')).toEqual(['todo:write', 'todo:read']);
    expect(param(challenge, 'resource_metadata')).toBe(PRM_URL);
    const stepped = await issuer.mintAccessToken({ claims: { scope: 'todo:read todo:write' } });
    await expectToolResult(await callTool(url, 'add_todo', stepped), 'add_todo for user-123');
  });

  it('refuses a bad signature and an expired token with 401 invalid_token', async () => {
    const good = await issuer.mintAccessToken({ claims: { scope: 'todo:read' } });
    const other = await issuer.mintAccessToken({ claims: { scope: 'todo:read', sub: 'mallory' } });
    const [header, payload] = good.split('.');
    const forged = `${header}.${payload}.${other.split('.')[2]}`;
    const expired = await issuer.mintAccessToken({
      claims: { scope: 'todo:read' },
      issuedAt: Math.floor(Date.now() / 1000) - 7200,
      expiresIn: 600,
    });
    for (const token of [forged, forged, expired]) {
      const response = await callTool(url, 'list_todos', token);
      expect(response.status).toBe(401);
      const challenge = response.headers.get('www-authenticate');
      expect(param(challenge, 'error')).toBe('invalid_token');
      expect(await response.text()).not.toContain(token);
    }
  });

  it('picks up a key rotation at the issuer (a new kid)', async () => {
    const oldToken = await issuer.mintAccessToken({ claims: { scope: 'todo:read' } });
    await expectToolResult(await callTool(url, 'list_todos', oldToken), 'list_todos for user-123');
    const [fresh] = await issuer.rotateKeys();
    const newToken = await issuer.mintAccessToken({ claims: { scope: 'todo:read' } });
    expect(kidOf(newToken)).toBe(fresh?.kid);
    expect(kidOf(newToken)).not.toBe(kidOf(oldToken));
    const before = issuer.jwksFetchCount;
    await expectToolResult(await callTool(url, 'list_todos', newToken), 'list_todos for user-123');
    expect(issuer.jwksFetchCount - before).toBe(1);
    // The old key is still published: its tokens keep working.
    await expectToolResult(await callTool(url, 'list_todos', oldToken), 'list_todos for user-123');
  });
});

/** Polls `condition` every 20 ms for at most `ms`; whether it became true. */
async function eventually(condition: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * A key set older than its maximum age is refreshed in the background while the request is
 * answered with the keys already held. On Workers that refresh outlives the response, so the
 * Hono adapter hands it to `ctx.waitUntil`; without it workerd cancels the refresh, which then
 * never settles.
 */
describe('workerd: a key-set refresh that outlives its request', () => {
  const MAX_AGE_MS = 10 * 60_000;
  let bundle: string;

  beforeAll(async () => {
    bundle = join(tempDir(), 'worker-clock.js');
    await build({
      entryPoints: [join(appRoot, 'test/fixtures/workerd-clock.ts')],
      outfile: bundle,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      mainFields: ['module', 'main'],
      conditions: ['workerd', 'worker', 'browser'],
      logLevel: 'warning',
    });
  });

  afterAll(() => {
    jwksDelayMs = 0;
  });

  /**
   * Serves one token (loading the key set), rotates the issuer's keys, moves the Worker's clock
   * past the key set's maximum age, and sends a token signed by the old key while the issuer
   * answers the JWKS slowly: the response comes back before the refresh completes.
   */
  async function staleRefresh(server: RunningServer) {
    const oldKey = issuer.key();
    const first = await issuer.mintAccessToken({ claims: { scope: 'todo:read' } });
    await expectToolResult(
      await callTool(server.url, 'list_todos', first),
      'list_todos for user-123',
    );
    await issuer.rotateKeys();
    const rotated = await issuer.mintAccessToken({ claims: { scope: 'todo:read' } });
    const clock = await fetch(`${server.url}/__test/clock?advanceMs=${MAX_AGE_MS + 60_000}`);
    expect(clock.status).toBe(204);

    jwksDelayMs = 1_000;
    const requested = jwksRequested.length;
    const served = jwksServed.length;
    const stale = await issuer.mintAccessToken({ key: oldKey, claims: { scope: 'todo:read' } });
    await expectToolResult(
      await callTool(server.url, 'list_todos', stale),
      'list_todos for user-123',
    );
    // Answered with the keys held; the refresh has not been answered yet.
    expect(jwksServed.length).toBe(served);
    return { rotated, requested, served };
  }

  it.each(['2026-11-01', '2024-09-23'])(
    'completes after the response through waitUntil and is seen by the next request (%s)',
    async (date) => {
      const server = await startWorkerd(bundle, date, appEnv(), tempDir());
      try {
        const { rotated, served } = await staleRefresh(server);
        expect(await eventually(() => jwksServed.length > served, 5_000)).toBe(true);
        jwksDelayMs = 0;
        await new Promise((r) => setTimeout(r, 100)); // the Worker reads the answer
        const requested = jwksRequested.length;
        // The new key came with the background refresh: no fetch for this token.
        await expectToolResult(
          await callTool(server.url, 'list_todos', rotated),
          'list_todos for user-123',
        );
        expect(jwksRequested.length).toBe(requested);
      } finally {
        await server.stop();
        jwksDelayMs = 0;
      }
    },
  );

  it('is cancelled without waitUntil: the key set never fetches again (the control)', async () => {
    const env = { ...appEnv(), WITHOUT_WAIT_UNTIL: 'true' };
    const server = await startWorkerd(bundle, '2026-11-01', env, tempDir());
    try {
      const { rotated, requested } = await staleRefresh(server);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(jwksRequested.length).toBe(requested); // the refresh never reached the issuer
      jwksDelayMs = 0;
      // The cancelled refresh never settles: the new key is never fetched, even on an unknown
      // kid with no cooldown, and its valid tokens are refused.
      for (let i = 0; i < 2; i++) {
        const response = await callTool(server.url, 'list_todos', rotated);
        expect(response.status).toBe(401);
        expect(param(response.headers.get('www-authenticate'), 'error')).toBe('invalid_token');
      }
      expect(jwksRequested.length).toBe(requested);
    } finally {
      await server.stop();
      jwksDelayMs = 0;
    }
  });
});
