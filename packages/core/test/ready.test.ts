import { createTestIssuer, type TestIssuerOptions } from '@org/mcp-auth-testing';
import { describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../src/audit.js';
import { createMcpAuth, type McpAuthOptions } from '../src/create-mcp-auth.js';
import { McpAuthConfigError } from '../src/errors.js';

// auth.ready(): the authorization server checked at start-up, and the logger that hears why
// requests get 503. Real timers, an in-process test issuer, short deadlines.

const RESOURCE = 'https://mcp.example.com/mcp';

function recordingLogger() {
  const lines: string[] = [];
  return { lines, logger: { warn: (message: string) => void lines.push(message) } };
}

async function setup(
  issuerOptions: TestIssuerOptions = {},
  options: Partial<McpAuthOptions> & { configuredIssuer?: string } = {},
) {
  const issuer = await createTestIssuer({
    issuer: 'https://auth.example.com',
    audience: RESOURCE,
    ...issuerOptions,
  });
  const { configuredIssuer, jwt, ...rest } = options;
  const auth = createMcpAuth({
    resource: RESOURCE,
    issuer: configuredIssuer ?? issuer.issuer,
    // Every fetch goes to the in-process issuer: nothing leaves the process.
    jwt: { ...jwt, fetch: issuer.fetch },
    ...rest,
  });
  return { issuer, auth };
}

async function configError(promise: Promise<unknown>): Promise<McpAuthConfigError> {
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpAuthConfigError);
  return error as McpAuthConfigError;
}

describe('auth.ready()', () => {
  it('loads metadata and keys once, so the first request fetches nothing', async () => {
    const { issuer, auth } = await setup();
    await expect(auth.ready()).resolves.toEqual({ ready: true, problems: [] });
    expect(issuer.jwksFetchCount).toBe(1);
    const token = await issuer.mintAccessToken();
    const result = await auth.authorize({
      method: 'POST',
      url: '/mcp',
      headers: { authorization: `Bearer ${token}` },
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    });
    expect(result.type).toBe('allow');
    expect(issuer.jwksFetchCount).toBe(1);
  });

  it('names an issuer that differs by a trailing slash', async () => {
    const { auth } = await setup({ metadata: { issuer: 'https://auth.example.com/' } });
    const error = await configError(auth.ready());
    expect(error.option).toBe('issuer');
    expect(error.message).toContain(
      "metadata issuer 'https://auth.example.com/' does not equal the configured issuer 'https://auth.example.com' (they differ by a trailing slash",
    );
    expect(error.message).toContain(
      'authorization server metadata at https://auth.example.com/.well-known/oauth-authorization-server',
    );
  });

  it('names an issuer whose metadata calls it localhost while 127.0.0.1 is configured', async () => {
    const { auth } = await setup({
      issuer: 'http://127.0.0.1:9400',
      metadata: { issuer: 'http://localhost:9400/' },
    });
    const error = await configError(auth.ready({ timeoutMs: 1_000 }));
    expect(error.message).toContain(
      "metadata issuer 'http://localhost:9400/' does not equal the configured issuer 'http://127.0.0.1:9400' (the hosts differ",
    );
  });

  it('escapes what the remote metadata says, so it cannot forge log lines or move the cursor', async () => {
    const { auth } = await setup({
      metadata: { issuer: 'https://auth.example.com\nmcp-auth: all good\u001b[2J' },
    });
    const error = await configError(auth.ready({ timeoutMs: 1_000 }));
    expect(error.message).toContain(
      "metadata issuer 'https://auth.example.com\\nmcp-auth: all good\\u001b[2J' does not equal",
    );
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
    expect(error.message).not.toMatch(/[\u0000-\u001f]/);
  });

  it('never names a user, password or query of the JWKS URL', async () => {
    const { lines, logger } = recordingLogger();
    const { issuer, auth } = await setup(
      {},
      { logger, jwt: { jwksUri: 'https://user:secret@auth.example.com/jwks?key=secret' } },
    );
    issuer.setOutage('network');
    const report = await auth.ready({ timeoutMs: 0 });
    expect(report.problems[0]).toContain('JWKS at https://auth.example.com/jwks: ');
    expect(JSON.stringify([report, lines])).not.toContain('secret');
  });

  it('names both metadata locations when an extra path finds no metadata', async () => {
    const { auth } = await setup({}, { configuredIssuer: 'https://auth.example.com/oauth2' });
    const error = await configError(auth.ready());
    expect(error.option).toBe('issuer');
    expect(error.message).toContain(
      'https://auth.example.com/.well-known/oauth-authorization-server/oauth2: authorization server metadata request failed with HTTP 404',
    );
    expect(error.message).toContain(
      'https://auth.example.com/oauth2/.well-known/openid-configuration: authorization server metadata request failed with HTTP 404',
    );
  });

  it('retries an issuer that cannot be reached yet, with one warning, until it answers', async () => {
    const { lines, logger } = recordingLogger();
    const { issuer, auth } = await setup({}, { logger });
    issuer.setOutage('network');
    setTimeout(() => issuer.setOutage(false), 400);
    const started = performance.now();
    await expect(auth.ready({ timeoutMs: 5_000 })).resolves.toEqual({ ready: true, problems: [] });
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^mcp-auth: the authorization server cannot be reached yet; retrying for up to 5 s: /,
    );
  });

  it('reports (does not throw) an issuer still unreachable at the deadline', async () => {
    const { lines, logger } = recordingLogger();
    const { issuer, auth } = await setup({}, { logger });
    issuer.setOutage('network');
    const report = await auth.ready({ timeoutMs: 300 });
    expect(report.ready).toBe(false);
    expect(report.problems[0]).toMatch(
      /authorization server metadata at https:\/\/auth\.example\.com\/\.well-known\/oauth-authorization-server: .*unreachable/,
    );
    expect(lines.at(-1)).toMatch(
      /still cannot be reached after 0\.3 s; requests get 503 until it answers/,
    );
  });

  it('treats an HTTP 503 from the issuer as an outage, not a mistake', async () => {
    const { issuer, auth } = await setup();
    issuer.setOutage('status');
    await expect(auth.ready({ timeoutMs: 0 })).resolves.toMatchObject({ ready: false });
  });

  it('is ready at once with a custom verifier', async () => {
    const auth = createMcpAuth({
      resource: RESOURCE,
      authorizationServers: ['https://auth.example.com'],
      verifier: { verifyAccessToken: async () => ({ token: 't', clientId: 'c', scopes: [] }) },
    });
    await expect(auth.ready()).resolves.toEqual({ ready: true, problems: [] });
  });

  it('refuses a bad timeoutMs, naming it', async () => {
    const { auth } = await setup();
    const error = await configError(auth.ready({ timeoutMs: -1 }));
    expect(error.option).toBe('ready.timeoutMs');
  });
});

describe('the cause of a 503', () => {
  it('reaches the decision event and the logger once, not once per request; never the client', async () => {
    const { lines, logger } = recordingLogger();
    const events: DecisionEvent[] = [];
    const { issuer, auth } = await setup(
      { metadata: { issuer: 'https://auth.example.com/' } },
      { logger, onDecision: (e) => events.push(e) },
    );
    const token = await issuer.mintAccessToken();
    for (let i = 0; i < 5; i++) {
      const result = await auth.authorize({
        method: 'POST',
        url: '/mcp',
        headers: { authorization: `Bearer ${token}` },
        body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      });
      expect(result.type === 'deny' && result.status).toBe(503);
      if (result.type === 'deny') expect(JSON.stringify(result.body)).not.toMatch(/https?:/);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('mcp-auth: answering 503: ');
    expect(lines[0]).toContain(
      "metadata issuer 'https://auth.example.com/' does not equal the configured issuer 'https://auth.example.com'",
    );
    expect(lines[0]).not.toContain(token);
    expect(events).toHaveLength(5);
    for (const event of events)
      expect(event.cause).toContain('does not equal the configured issuer');
  });

  it('a logger that throws does not break the request', async () => {
    const { issuer, auth } = await setup(
      {},
      {
        logger: {
          warn() {
            throw new Error('broken logger');
          },
        },
      },
    );
    issuer.setOutage('network');
    const result = await auth.authorize({
      method: 'POST',
      url: '/mcp',
      headers: { authorization: `Bearer ${await issuer.mintAccessToken()}` },
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    });
    expect(result.type === 'deny' && result.status).toBe(503);
  });
});
