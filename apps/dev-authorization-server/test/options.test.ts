import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PORT,
  isLoopbackResource,
  parseScopes,
  parseUsers,
  readEnvOptions,
  startDevAuthorizationServer,
} from '../src/index.js';

describe('startDevAuthorizationServer option checks', () => {
  it.each([
    [{ port: -1 }, 'port'],
    [{ port: 1.5 }, 'port'],
    [{ issuer: 'ftp://x' }, 'issuer'],
    [{ issuer: 'http://127.0.0.1:9400/base' }, 'issuer'],
    [{ issuer: 'http://127.0.0.1:9400?x=1' }, 'issuer'],
    [{ users: [] }, 'users'],
    [{ users: [{ username: 'a', password: '' }] }, 'users[0]'],
    [
      {
        users: [
          { username: 'a', password: 'a' },
          { username: 'a', password: 'b' },
        ],
      },
      'users',
    ],
    [{ scopes: ['todo read'] }, 'scopes'],
    [{ scopes: ['openid'] }, 'scopes'],
    [{ signingAlg: 'HS256' as 'RS256' }, 'signingAlg'],
    [{ autoApprove: { username: 'mallory' } }, 'autoApprove.username'],
    [{ accessTokenTtl: 0 }, 'accessTokenTtl'],
    [{ keyGraceSeconds: -5 }, 'keyGraceSeconds'],
  ])('rejects %j with a TypeError naming %s', async (options, name) => {
    await expect(startDevAuthorizationServer(options)).rejects.toThrow(TypeError);
    await expect(startDevAuthorizationServer(options)).rejects.toThrow(`"${name}"`);
  });

  it('uses a configured issuer string exactly and configured users and scopes', async () => {
    const server = await startDevAuthorizationServer({
      port: 0,
      issuer: 'http://localhost:9400',
      scopes: ['notes:read'],
      users: [{ username: 'carol', password: 'pw', sub: 'user-carol' }],
    });
    try {
      expect(server.issuer).toBe('http://localhost:9400');
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const metadata = (await (
        await fetch(`${server.url}/.well-known/oauth-authorization-server`)
      ).json()) as { issuer: string; scopes_supported: string[] };
      expect(metadata.issuer).toBe('http://localhost:9400');
      expect(metadata.scopes_supported).toContain('notes:read');
      expect(metadata.scopes_supported).not.toContain('todo:read');
    } finally {
      await server.close();
    }
  });
});

describe('isLoopbackResource', () => {
  it('accepts loopback http(s) URIs only', () => {
    expect(isLoopbackResource('http://127.0.0.1:3001/mcp')).toBe(true);
    expect(isLoopbackResource('http://localhost:3001/mcp')).toBe(true);
    expect(isLoopbackResource('https://[::1]:8443/')).toBe(true);
    expect(isLoopbackResource('https://api.example.com/mcp')).toBe(false);
    expect(isLoopbackResource('urn:example:mcp')).toBe(false);
    expect(isLoopbackResource('not a uri')).toBe(false);
  });
});

describe('environment variables', () => {
  it('defaults to port 9400 and issuer http://127.0.0.1:9400', () => {
    expect(DEFAULT_PORT).toBe(9400);
    expect(readEnvOptions({})).toEqual({
      port: 9400,
      host: '127.0.0.1',
      issuer: 'http://127.0.0.1:9400',
    });
  });

  it('reads every documented variable', () => {
    expect(
      readEnvOptions({
        PORT: '9500',
        HOST: '127.0.0.1',
        DEV_AS_ISSUER: 'http://localhost:9500',
        DEV_AS_USERS: 'alice:alice, carol:pw:user-carol:Carol Doe',
        DEV_AS_SCOPES: 'todo:read,todo:write notes:read',
        DEV_AS_SIGNING_ALG: 'es256',
        DEV_AS_AUTO_APPROVE: '1',
        DEV_AS_AUTO_APPROVE_USER: 'carol',
        DEV_AS_ACCESS_TOKEN_TTL: '600',
        DEV_AS_KEY_GRACE_SECONDS: '30',
        DEV_AS_DPOP: '1',
      }),
    ).toEqual({
      port: 9500,
      host: '127.0.0.1',
      issuer: 'http://localhost:9500',
      users: [
        { username: 'alice', password: 'alice' },
        { username: 'carol', password: 'pw', sub: 'user-carol', name: 'Carol Doe' },
      ],
      scopes: ['todo:read', 'todo:write', 'notes:read'],
      signingAlg: 'ES256',
      autoApprove: { username: 'carol' },
      accessTokenTtl: 600,
      keyGraceSeconds: 30,
      dpop: true,
    });
    expect(readEnvOptions({ DEV_AS_AUTO_APPROVE: 'true' }).autoApprove).toBe(true);
    expect(readEnvOptions({ DEV_AS_AUTO_APPROVE: '0' }).autoApprove).toBeUndefined();
  });

  it('explains malformed values', () => {
    expect(() => readEnvOptions({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => readEnvOptions({ DEV_AS_SIGNING_ALG: 'HS256' })).toThrow(/DEV_AS_SIGNING_ALG/);
    expect(() => parseUsers('alice')).toThrow(/DEV_AS_USERS/);
    expect(parseScopes('  a  b,c ')).toEqual(['a', 'b', 'c']);
  });
});

describe('CLI (src/main.ts)', () => {
  it('prints the development-only banner and serves metadata', async () => {
    const appDir = fileURLToPath(new URL('..', import.meta.url));
    const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
    const child = spawn(tsx, ['src/main.ts'], {
      cwd: appDir,
      env: { ...process.env, PORT: '0', DEV_AS_AUTO_APPROVE: '1', DEV_AS_LOG: 'quiet' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      let issuer: string | undefined;
      for (let attempt = 0; attempt < 150 && !issuer; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        issuer = /issuer:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      }
      expect(output).toContain('DEVELOPMENT ONLY — do not use in production.');
      expect(output).toContain('users:     alice / alice, bob / bob');
      expect(output).toContain('dpop:      off');
      expect(output).not.toContain('see README');
      expect(output).not.toMatch(/Unsupported runtime|oidc-provider WARNING|oidc-provider NOTICE/);
      expect(issuer).toBeDefined();
      const metadata = (await (
        await fetch(`${issuer}/.well-known/oauth-authorization-server`)
      ).json()) as { issuer: string };
      expect(metadata.issuer).toBe(issuer);
    } finally {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
