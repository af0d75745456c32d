import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Check,
  type CheckResourceServerResult,
  checkResourceServer,
  type RunningTestIssuer,
  startTestIssuer,
} from '../src/index.js';
import { type Fixture, type FixtureOptions, startFixture } from './check-fixture-server.js';

let issuer: RunningTestIssuer;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  issuer = await startTestIssuer({
    algorithms: ['ES256'],
    scope: 'todo:read',
    metadata: { client_id_metadata_document_supported: true },
  });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});
afterAll(async () => {
  await issuer?.close();
});

async function fixture(options: Partial<FixtureOptions> = {}): Promise<Fixture> {
  const started = await startFixture({ issuer: issuer.issuer, ...options });
  open.push(started);
  return started;
}

async function otherIssuer(options: Parameters<typeof startTestIssuer>[0]) {
  const started = await startTestIssuer({ algorithms: ['ES256'], ...options });
  open.push(started);
  return started;
}

function check(result: CheckResourceServerResult, id: string): Check {
  const found = result.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${result.checks.map((c) => c.id).join(', ')}`);
  return found;
}

function notPassing(result: CheckResourceServerResult) {
  return result.checks
    .filter((c) => c.status === 'warn' || c.status === 'fail')
    .map((c) => `${c.status} ${c.id}: ${c.saw}`);
}

const run = (url: string, extra: Partial<Parameters<typeof checkResourceServer>[0]> = {}) =>
  checkResourceServer({ url, timeoutMs: 3000, ...extra });

describe('a healthy server', () => {
  it('passes every check without a token (the token checks do not run)', async () => {
    const server = await fixture();
    const result = await run(server.url);
    expect(notPassing(result)).toEqual([]);
    expect(result.summary).toEqual({
      passed: result.checks.length,
      warnings: 0,
      failed: 0,
      skipped: 0,
    });
    expect(result.url).toBe(server.url);
    expect(result.checks.map((c) => c.id)).toEqual([
      'challenge.status',
      'challenge.parse',
      'challenge.bearer',
      'challenge.resource-metadata',
      'challenge.scope',
      'challenge.no-error',
      'prm.path-inserted',
      'prm.root',
      'prm.pointer',
      'prm.json',
      'prm.resource',
      'prm.authorization-servers',
      'prm.scopes-supported',
      'prm.bearer-methods',
      'cors.preflight',
      'cors.expose-www-authenticate',
      'cors.metadata',
      'as.metadata',
      'as.issuer',
      'as.pkce',
      'as.registration',
      'as.jwks',
    ]);
    for (const c of result.checks) {
      expect(c.why, c.id).toMatch(/RFC|MCP|Fetch standard/);
      expect(c.fix, c.id).toBeUndefined();
    }
  });

  it('passes every check with a todo:read token, the step-up 403 included', async () => {
    const server = await fixture();
    const token = await issuer.mintAccessToken({ claims: { aud: server.url } });
    const result = await run(server.url, { token, stepUpTool: 'add_todo' });
    expect(notPassing(result)).toEqual([]);
    expect(result.summary.skipped).toBe(0);
    expect(check(result, 'token.exp').saw).toMatch(/^expires in \d+ min$/);
    expect(check(result, 'token.tools-list').saw).toBe('200, 2 tool(s): list_todos, add_todo');
    expect(check(result, 'token.step-up').saw).toContain('error="insufficient_scope"');
    expect(JSON.stringify(result)).not.toContain(token);
  });

  it('skips the step-up with advice when no tool is named, and when the token has the scope', async () => {
    const server = await fixture();
    const token = await issuer.mintAccessToken({
      claims: { aud: server.url, scope: 'todo:read todo:write' },
    });
    const unnamed = await run(server.url, { token });
    expect(check(unnamed, 'token.step-up')).toMatchObject({ status: 'skip' });
    expect(check(unnamed, 'token.step-up').fix).toMatch(/--step-up-tool/);
    const named = await run(server.url, { token, stepUpTool: 'add_todo' });
    expect(check(named, 'token.step-up').status).toBe('skip');
    expect(check(named, 'token.step-up').saw).toMatch(/already has/);
  });

  it('says an opaque token is opaque and still runs the HTTP checks', async () => {
    const server = await fixture();
    const result = await run(server.url, { token: 'opaque-token-value-1234567890' });
    expect(check(result, 'token.format').saw).toMatch(/opaque/);
    expect(check(result, 'token.aud').status).toBe('skip');
    expect(check(result, 'token.initialize').status).toBe('fail');
    expect(JSON.stringify(result)).not.toContain('opaque-token-value-1234567890');
  });
});

describe('broken servers', () => {
  it('Protected Resource Metadata missing', async () => {
    const server = await fixture({ pathInserted: false, root: false });
    const result = await run(server.url);
    expect(check(result, 'prm.path-inserted')).toMatchObject({ status: 'fail' });
    expect(check(result, 'prm.path-inserted').saw).toContain('answered 404');
    expect(check(result, 'prm.path-inserted').fix).toContain(
      `${server.origin}/.well-known/oauth-protected-resource/mcp`,
    );
    expect(check(result, 'prm.root').status).toBe('fail');
    expect(check(result, 'prm.pointer').status).toBe('fail');
    expect(check(result, 'prm.resource').status).toBe('skip');
    expect(result.checks.some((c) => c.id.startsWith('as.'))).toBe(false);
  });

  it('Protected Resource Metadata only at the root', async () => {
    const server = await fixture({
      pathInserted: false,
      challenge: ({ rootPrmUrl }) => `Bearer resource_metadata="${rootPrmUrl}", scope="todo:read"`,
    });
    const result = await run(server.url);
    const path = check(result, 'prm.path-inserted');
    expect(path.status).toBe('warn');
    expect(path.saw).toContain('the root');
    expect(path.fix).toContain(`${server.origin}/.well-known/oauth-protected-resource/mcp`);
    expect(check(result, 'prm.root').status).toBe('pass');
    expect(check(result, 'prm.pointer').saw).toMatch(/points at the root location/);
    expect(result.summary.failed).toBe(0);
  });

  it('resource differs from the URL by a trailing slash', async () => {
    const server = await fixture({ resource: (url) => `${url}/` });
    const result = await run(server.url);
    const resource = check(result, 'prm.resource');
    expect(resource.status).toBe('fail');
    expect(resource.saw).toContain('differ only by a trailing slash');
    expect(resource.fix).toContain(`"${server.url}"`);
    expect(resource.why).toContain('RFC 9728 §3.3');
  });

  it('authorization server issuer with a trailing slash', async () => {
    const slashed = await otherIssuer({ issuerPath: '/' });
    expect(slashed.issuer.endsWith('/')).toBe(true);
    const server = await fixture({ issuer: slashed.url });
    const result = await run(server.url);
    const issuerCheck = check(result, 'as.issuer');
    expect(issuerCheck.status).toBe('fail');
    expect(issuerCheck.saw).toContain('differ only by a trailing slash');
    expect(issuerCheck.why).toContain('RFC 8414 §3.3');
  });

  it('no S256 in code_challenge_methods_supported', async () => {
    const noPkce = await otherIssuer({ metadata: { code_challenge_methods_supported: undefined } });
    const server = await fixture({ issuer: noPkce.issuer });
    const result = await run(server.url);
    const pkce = check(result, 'as.pkce');
    expect(pkce.status).toBe('fail');
    expect(pkce.saw).toMatch(/absent: MCP clients must refuse/);
    expect(pkce.fix).toContain('S256');
    const plainOnly = await otherIssuer({
      metadata: { code_challenge_methods_supported: ['plain'] },
    });
    const second = await fixture({ issuer: plainOnly.issuer });
    expect(check(await run(second.url), 'as.pkce')).toMatchObject({ status: 'fail' });
  });

  it('neither client registration way is offered', async () => {
    const closed = await otherIssuer({});
    const server = await fixture({ issuer: closed.issuer });
    const c = check(await run(server.url), 'as.registration');
    expect(c.status).toBe('warn');
    expect(c.saw).toMatch(/clients need a pre-registered client id/);
  });

  it('finds OpenID discovery for an issuer with a path, after trying RFC 8414 first', async () => {
    const tenant = await otherIssuer({
      issuerPath: '/tenant-a',
      discovery: { oauth: false },
      metadata: { registration_endpoint: 'http://127.0.0.1:1/reg' },
    });
    const server = await fixture({ issuer: tenant.issuer });
    const result = await run(server.url);
    const metadata = check(result, 'as.metadata');
    expect(metadata.status).toBe('pass');
    expect(metadata.saw).toBe(
      `OpenID discovery at ${tenant.url}/tenant-a/.well-known/openid-configuration (tried: ` +
        `${tenant.url}/.well-known/oauth-authorization-server/tenant-a: 404; ` +
        `${tenant.url}/.well-known/openid-configuration/tenant-a: 404; ` +
        `${tenant.url}/tenant-a/.well-known/openid-configuration: 200 JSON)`,
    );
    expect(check(result, 'as.issuer').status).toBe('pass');
    expect(notPassing(result)).toEqual([]);
  });

  it('a challenge scope the metadata does not list, and Bearer after another scheme', async () => {
    const server = await fixture({
      challenge: ({ prmUrl }) =>
        `Basic realm="mcp", Bearer resource_metadata="${prmUrl}", scope="todo:read admin"`,
    });
    const result = await run(server.url);
    expect(check(result, 'challenge.bearer')).toMatchObject({ status: 'warn' });
    expect(check(result, 'challenge.bearer').saw).toBe(
      'the Bearer challenge is number 2 (after Basic)',
    );
    const scopes = check(result, 'prm.scopes-supported');
    expect(scopes.status).toBe('fail');
    expect(scopes.saw).toContain('not listed: admin');
  });

  it('401 without resource_metadata', async () => {
    const server = await fixture({ challenge: () => 'Bearer scope="todo:read"' });
    const result = await run(server.url);
    const c = check(result, 'challenge.resource-metadata');
    expect(c.status).toBe('fail');
    expect(c.saw).toBe('the Bearer challenge has no resource_metadata');
    expect(c.fix).toContain(`${server.origin}/.well-known/oauth-protected-resource/mcp`);
    expect(check(result, 'prm.pointer').status).toBe('skip');
  });

  it('relative resource_metadata', async () => {
    const server = await fixture({
      challenge: () =>
        'Bearer resource_metadata="/.well-known/oauth-protected-resource/mcp", scope="todo:read"',
    });
    const c = check(await run(server.url), 'challenge.resource-metadata');
    expect(c.status).toBe('fail');
    expect(c.saw).toContain('is not an absolute URL');
  });

  it('error= without credentials', async () => {
    const server = await fixture({
      challenge: ({ prmUrl }) =>
        `Bearer error="invalid_token", error_description="No token", resource_metadata="${prmUrl}"`,
    });
    const result = await run(server.url);
    const c = check(result, 'challenge.no-error');
    expect(c.status).toBe('fail');
    expect(c.why).toContain('RFC 6750 §3.1');
    expect(c.saw).toContain('error="invalid_token"');
    expect(check(result, 'challenge.scope').status).toBe('warn');
  });

  it('a token the server echoes is redacted before any excerpt can cut it in two', async () => {
    const token = 'opaque-token-that-the-server-echoes-back-0123456789';
    const padding = 'x'.repeat(130); // the token straddles the 160-character excerpt limit
    const server = await fixture({ challenge: () => `Bearer realm="${padding} ${token}"` });
    const result = await run(server.url, { token });
    const all = JSON.stringify(result.checks);
    expect(all).not.toContain(token.slice(0, 12));
  });

  it('an unparseable challenge', async () => {
    const server = await fixture({
      challenge: ({ prmUrl }) => `Bearer resource_metadata="${prmUrl}, scope=todo:read`,
    });
    const result = await run(server.url);
    const c = check(result, 'challenge.parse');
    expect(c.status).toBe('fail');
    expect(c.saw).toContain('unterminated quoted-string');
    expect(check(result, 'challenge.bearer').status).toBe('skip');
    // Clients then probe the well-known locations, and so do the checks.
    expect(check(result, 'prm.path-inserted').status).toBe('pass');
  });

  it('a 401 without WWW-Authenticate', async () => {
    const server = await fixture({ challenge: () => null });
    const result = await run(server.url);
    expect(check(result, 'challenge.parse')).toMatchObject({
      status: 'fail',
      saw: 'the 401 has no WWW-Authenticate header',
    });
    expect(result.checks.filter((c) => c.id === 'challenge.parse')).toHaveLength(1);
  });

  it('CORS without an exposed WWW-Authenticate', async () => {
    const server = await fixture({ exposeWwwAuthenticate: false });
    const result = await run(server.url);
    const c = check(result, 'cors.expose-www-authenticate');
    expect(c.status).toBe('fail');
    expect(c.saw).toContain('Access-Control-Expose-Headers: Mcp-Session-Id');
    expect(c.fix).toContain('Access-Control-Expose-Headers: WWW-Authenticate');
  });

  it('an origin the server refuses is a warning that says so', async () => {
    const refusing = createServer((req, res) => {
      if (req.method === 'OPTIONS') {
        res.writeHead(403).end();
        return;
      }
      res.writeHead(req.headers.origin ? 403 : 401, {
        'www-authenticate': 'Bearer scope="todo:read"',
      });
      res.end();
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    open.push({
      close: () =>
        new Promise<void>((done) => {
          refusing.closeAllConnections();
          refusing.close(() => done());
        }),
    });
    const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/mcp`;
    const result = await run(url, { origin: 'https://app.example' });
    for (const id of ['cors.preflight', 'cors.expose-www-authenticate']) {
      expect(check(result, id).status, id).toBe('warn');
      expect(check(result, id).saw, id).toMatch(/on purpose/);
      expect(check(result, id).saw, id).toContain('https://app.example');
    }
  });

  it('JWKS unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const noKeys = await otherIssuer({ metadata: { jwks_uri: `http://127.0.0.1:${port}/jwks` } });
    const server = await fixture({ issuer: noKeys.issuer });
    const c = check(await run(server.url), 'as.jwks');
    expect(c.status).toBe('fail');
    expect(c.saw).toBe(`GET http://127.0.0.1:${port}/jwks: connection refused`);
  });

  it('a token with the wrong aud', async () => {
    const server = await fixture();
    const token = await issuer.mintAccessToken({ claims: { aud: 'https://other.example/mcp' } });
    const result = await run(server.url, { token });
    const aud = check(result, 'token.aud');
    expect(aud.status).toBe('fail');
    expect(aud.saw).toBe(`aud "https://other.example/mcp", the resource is "${server.url}"`);
    expect(aud.fix).toContain(`resource=${server.url}`);
    expect(check(result, 'token.initialize').status).toBe('fail');
    expect(check(result, 'token.initialize').saw).toContain('answered 401');
    expect(check(result, 'token.tools-list').status).toBe('skip');
  });

  it('an expired token', async () => {
    const server = await fixture();
    const token = await issuer.mintAccessToken({
      claims: { aud: server.url },
      issuedAt: Math.floor(Date.now() / 1000) - 3600,
      expiresIn: 600,
    });
    const result = await run(server.url, { token });
    const exp = check(result, 'token.exp');
    expect(exp.status).toBe('fail');
    expect(exp.saw).toBe('expired 50 min ago');
    expect(check(result, 'token.initialize').status).toBe('fail');
  });

  it('a server that is not there', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await run(`http://127.0.0.1:${port}/mcp`);
    expect(check(result, 'challenge.status')).toMatchObject({
      status: 'fail',
      saw: `POST http://127.0.0.1:${port}/mcp: connection refused`,
    });
    expect(result.summary.failed).toBeGreaterThan(0);
  });

  it('a server that never answers times out', async () => {
    const hanging = createServer(() => {});
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    open.push({
      close: () =>
        new Promise<void>((done) => {
          hanging.closeAllConnections();
          hanging.close(() => done());
        }),
    });
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/mcp`;
    const started = Date.now();
    const result = await checkResourceServer({ url, timeoutMs: 200 });
    expect(check(result, 'challenge.status').saw).toContain('no answer within 200 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('options', () => {
  it.each([
    [{ url: 'not a url' }, /"url"/],
    [{ url: 'ftp://x.example/mcp' }, /"url"/],
    [{ url: 'http://127.0.0.1/mcp', timeoutMs: 0 }, /"timeoutMs"/],
    [{ url: 'http://127.0.0.1/mcp', origin: 'http://localhost:6274/path' }, /"origin"/],
    [{ url: 'http://127.0.0.1/mcp', token: '  ' }, /"token"/],
  ])('refuses %j with a TypeError naming the option', async (options, message) => {
    await expect(checkResourceServer(options)).rejects.toThrow(message);
    await expect(checkResourceServer(options)).rejects.toBeInstanceOf(TypeError);
  });
});
