/**
 * The sample-app contract for configuration: `readConfig(env)` and the process started the way
 * `npm start` starts it.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { SampleUnderTest } from './sample-kit.js';

/** `readConfig`: defaults, provider presets, and a `TypeError` naming each bad variable. */
function registerReadConfigTests(sample: SampleUnderTest): void {
  const readConfig = (env: Record<string, string | undefined>) => sample.readConfig(env);

  it('reads the environment with defaults', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      issuer: 'http://127.0.0.1:9400',
      allowedOrigins: [],
    });
    expect(config.resourceUrl).toBeUndefined();
    expect(config.provider).toBeUndefined();
    expect(config.authorizationServers).toBeUndefined();
    expect(
      readConfig({
        PORT: '0',
        MCP_RESOURCE_URL: 'https://MCP.example.com/mcp',
        MCP_ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443/',
      }),
    ).toMatchObject({
      port: 0,
      resourceUrl: 'https://MCP.example.com/mcp',
      allowedOrigins: ['https://a.example', 'https://b.example:8443'],
    });
  });

  it('reads MCP_AUTH_REDIS_URL and MCP_STATELESS (off and in-process by default)', () => {
    expect(readConfig({}).redisUrl).toBeUndefined();
    expect(readConfig({}).stateless).toBeUndefined();
    expect(
      readConfig({ MCP_AUTH_REDIS_URL: 'redis://127.0.0.1:6379/0', MCP_STATELESS: '1' }),
    ).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379/0', stateless: true });
    expect(readConfig({ MCP_STATELESS: '0' }).stateless).toBeUndefined();
    // A Redis URL may carry a password: a bad one is named, never echoed.
    expect(() => readConfig({ MCP_AUTH_REDIS_URL: 'tcp://:s3cret@host' })).toThrow(
      /^MCP_AUTH_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/,
    );
  });

  it('takes the issuer, keys and token rules from MCP_AUTH_PROVIDER; MCP_AUTH_JWKS_URI still overrides', () => {
    const env = {
      MCP_AUTH_PROVIDER: 'scalekit',
      SCALEKIT_ENVIRONMENT_URL: 'https://acme.scalekit.example',
      SCALEKIT_RESOURCE_ID: 'res_42',
      MCP_AUTH_ISSUER: 'https://ignored.example',
      MCP_RESOURCE_URL: 'https://mcp.example.com/mcp',
    };
    const config = readConfig(env);
    expect(config).toMatchObject({
      provider: 'scalekit',
      issuer: 'https://acme.scalekit.example/resources/res_42',
      authorizationServers: ['https://acme.scalekit.example/resources/res_42'],
      resourceUrl: 'https://mcp.example.com/mcp',
      jwt: {
        jwksUri: 'https://acme.scalekit.example/keys',
        additionalIssuers: ['https://acme.scalekit.example'],
        additionalAudiences: ['res_42'],
        scopeClaims: ['scope', { claim: 'scopes', format: 'array' }],
      },
    });
    expect(config.jwksUri).toBeUndefined();
    expect(readConfig({ ...env, MCP_AUTH_JWKS_URI: 'https://keys.example/jwks' }).jwksUri).toBe(
      'https://keys.example/jwks',
    );
    expect(readConfig({ MCP_AUTH_PROVIDER: 'generic' }).issuer).toBe('http://127.0.0.1:9400');
    expect(readConfig({}).dpop).toBeUndefined();
    expect(readConfig({ MCP_AUTH_DPOP: 'off' }).dpop).toBeUndefined();
    expect(readConfig({ MCP_AUTH_DPOP: 'Allowed' }).dpop).toBe('allowed');
    expect(readConfig({ MCP_AUTH_DPOP: 'required' }).dpop).toBe('required');
    expect(() =>
      readConfig({
        MCP_AUTH_PROVIDER: 'scalekit',
        SCALEKIT_ENVIRONMENT_URL: 'http://acme.example',
      }),
    ).toThrow(TypeError);
  });

  it.each([
    ['SCALEKIT_ENVIRONMENT_URL', { MCP_AUTH_PROVIDER: 'scalekit' }],
    ['MCP_AUTH_PROVIDER', { MCP_AUTH_PROVIDER: 'scalekitt' }],
    ['AUTH0_DOMAIN', { MCP_AUTH_PROVIDER: 'auth0' }],
    [
      'ENTRA_AUDIENCE',
      { MCP_AUTH_PROVIDER: 'entra-id', ENTRA_TENANT_ID: '00000000-0000-0000-0000-000000000000' },
    ],
    ['KEYCLOAK_REALM', { MCP_AUTH_PROVIDER: 'keycloak', KEYCLOAK_BASE_URL: 'https://sso.example' }],
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['MCP_AUTH_ISSUER', { MCP_AUTH_ISSUER: 'not a url' }],
    ['MCP_AUTH_ISSUER', { MCP_AUTH_ISSUER: 'http://auth.example.com' }],
    ['MCP_AUTH_JWKS_URI', { MCP_AUTH_JWKS_URI: 'ftp://127.0.0.1/jwks' }],
    ['MCP_RESOURCE_URL', { MCP_RESOURCE_URL: 'http://127.0.0.1:3000/mcp?x=1' }],
    ['MCP_ALLOWED_ORIGINS', { MCP_ALLOWED_ORIGINS: 'app.example' }],
    ['MCP_AUTH_REDIS_URL', { MCP_AUTH_REDIS_URL: 'http://127.0.0.1:6379' }],
    ['MCP_STATELESS', { MCP_STATELESS: 'yes' }],
    ['MCP_AUTH_DPOP', { MCP_AUTH_DPOP: 'sometimes' }],
  ])('names %s when it is invalid', (name, env) => {
    expect(() => readConfig(env)).toThrow(TypeError);
    expect(() => readConfig(env)).toThrow(name);
  });
}

/** The entry (`src/main.ts`) exits 1 with one clear line on misconfiguration, 0 on SIGTERM. */
function registerProcessTests(sample: SampleUnderTest): void {
  const APP_DIR = sample.appDir;

  it('exits 1 with one clear line on misconfiguration, and 0 on SIGTERM', async () => {
    const run = (
      env: Record<string, string>,
      onOutput?: (text: string, stop: () => void) => void,
    ) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(`${APP_DIR}node_modules/.bin/tsx`, [sample.entry ?? 'src/main.ts'], {
          cwd: APP_DIR,
          env: { ...process.env, ...env },
        });
        let output = '';
        const collect = (chunk: Buffer) => {
          output += chunk.toString();
          onOutput?.(output, () => child.kill('SIGTERM'));
        };
        child.stdout.on('data', collect);
        child.stderr.on('data', collect);
        child.on('exit', (code) => resolve({ code, output }));
      });

    const bad = await run({ MCP_AUTH_PROVIDER: '', MCP_AUTH_ISSUER: 'http://auth.example.com' });
    expect(bad.code).toBe(1);
    expect(bad.output).toContain('MCP_AUTH_ISSUER');
    expect(bad.output).not.toMatch(/\n\s+at /);
    const badProvider = await run({ MCP_AUTH_PROVIDER: 'scalekit', SCALEKIT_ENVIRONMENT_URL: '' });
    expect(badProvider.code).toBe(1);
    expect(badProvider.output).toContain('SCALEKIT_ENVIRONMENT_URL');
    expect(badProvider.output.trim().split('\n')).toHaveLength(1);

    let stopped = false;
    const good = await run(
      { PORT: '0', MCP_AUTH_PROVIDER: '', MCP_AUTH_ISSUER: 'http://127.0.0.1:9' },
      (text, stop) => {
        if (!stopped && text.includes('oauth-protected-resource')) {
          stopped = true;
          stop();
        }
      },
    );
    expect(good.output).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(good.code).toBe(0);
  });
}

/** Registers the configuration part of the sample-app contract. */
export function describeConfigContract(sample: SampleUnderTest): void {
  describe(`${sample.name}: configuration`, () => {
    registerReadConfigTests(sample);
    registerProcessTests(sample);
  });
}
