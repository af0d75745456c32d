import { describe, expect, it } from 'vitest';
import { createJwtVerifier, type JwtVerifierOptions } from '../src/create-jwt-verifier.js';
import { McpAuthConfigError } from '../src/errors.js';

const base: JwtVerifierOptions = {
  issuer: 'https://auth.example.com',
  resource: 'https://mcp.example.com/mcp',
};

function construct(options: Partial<Record<keyof JwtVerifierOptions, unknown>>) {
  return () => createJwtVerifier({ ...base, ...options } as JwtVerifierOptions);
}

function expectOptionError(fn: () => unknown, option: string, rule?: RegExp) {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TypeError);
  expect(caught).toBeInstanceOf(McpAuthConfigError);
  expect((caught as McpAuthConfigError).option).toBe(option);
  expect((caught as Error).message).toContain(`option "${option}"`);
  if (rule) expect((caught as Error).message).toMatch(rule);
}

describe('createJwtVerifier options', () => {
  it('builds with the minimal options and exposes the issuer', () => {
    const verifier = createJwtVerifier(base);
    expect(verifier.issuer).toBe('https://auth.example.com');
    expect(verifier).toMatchObject({ checksLifetime: true, clockToleranceMs: 60_000 });
    expect('keySetVersion' in verifier).toBe(false);
  });

  it('refuses an http issuer on a non-loopback host at construction', () => {
    expectOptionError(construct({ issuer: 'http://auth.example.com' }), 'issuer', /https/);
  });

  it.each([
    'http://localhost:8080',
    'http://127.0.0.1:9000/realms/dev',
    'http://[::1]:4000',
    'http://dev.localhost',
  ])('allows an http issuer on loopback: %s', (issuer) => {
    expect(createJwtVerifier({ ...base, issuer }).issuer).toBe(issuer);
  });

  it('refuses a non-URL or missing issuer', () => {
    expectOptionError(construct({ issuer: 'auth.example.com' }), 'issuer', /absolute URL/);
    expectOptionError(construct({ issuer: undefined }), 'issuer');
    expectOptionError(construct({ issuer: '' }), 'issuer');
  });

  it('refuses an http jwksUri on a non-loopback host', () => {
    expectOptionError(construct({ jwksUri: 'http://auth.example.com/jwks' }), 'jwksUri', /https/);
    expect(() => createJwtVerifier({ ...base, jwksUri: 'http://127.0.0.1:1/jwks' })).not.toThrow();
  });

  it('refuses a non-https resource or one with a fragment', () => {
    expectOptionError(construct({ resource: 'http://mcp.example.com/mcp' }), 'resource');
    expectOptionError(
      construct({ resource: 'https://mcp.example.com/mcp#x' }),
      'resource',
      /fragment/,
    );
  });

  it.each(['HS256', 'HS512', 'none', 'NONE'])('refuses %s in algorithms', (alg) => {
    expectOptionError(construct({ algorithms: ['RS256', alg] }), 'algorithms', /asymmetric/);
  });

  it('refuses unknown or empty algorithm lists', () => {
    expectOptionError(construct({ algorithms: ['RS1'] }), 'algorithms', /unsupported/);
    expectOptionError(construct({ algorithms: [] }), 'algorithms', /empty/);
    expectOptionError(construct({ algorithms: 'RS256' }), 'algorithms', /array/);
  });

  it('accepts a narrowed algorithm list, ES512 and Ed25519 included', () => {
    expect(() => createJwtVerifier({ ...base, algorithms: ['ES512', 'Ed25519'] })).not.toThrow();
  });

  it.each([
    ['clockToleranceMs', -1],
    ['clockToleranceMs', Number.NaN],
    ['jwksCooldownMs', -5],
    ['timeoutMs', 0],
    ['timeoutMs', '5s'],
    ['maxTokenLength', 0],
  ] as const)('refuses %s = %s', (option, value) => {
    expectOptionError(construct({ [option]: value }), option, /number/);
  });

  it.each([0, -1, 1.5, Number.POSITIVE_INFINITY, '256KiB'])(
    'refuses maxResponseBytes = %s',
    (value) => {
      expectOptionError(construct({ maxResponseBytes: value }), 'maxResponseBytes', /integer/);
    },
  );

  it('accepts a positive integer maxResponseBytes', () => {
    expect(() => createJwtVerifier({ ...base, maxResponseBytes: 1 })).not.toThrow();
    expect(() => createJwtVerifier({ ...base, maxResponseBytes: 4 * 1024 * 1024 })).not.toThrow();
  });

  it.each([
    ['additionalAudiences', 'api://x'],
    ['additionalAudiences', ['']],
    ['requiredClaims', [1]],
  ] as const)('refuses %s = %j', (option, value) => {
    expectOptionError(construct({ [option]: value }), option, /array of non-empty strings/);
  });

  it('refuses a scopeClaims value that is not a non-empty list', () => {
    expectOptionError(construct({ scopeClaims: 'scope' }), 'scopeClaims', /non-empty array/);
    expectOptionError(construct({ scopeClaims: [] }), 'scopeClaims', /non-empty array/);
  });

  it('refuses a non-boolean allowGenericJwtType and a non-function fetch', () => {
    expectOptionError(construct({ allowGenericJwtType: 'yes' }), 'allowGenericJwtType');
    expectOptionError(construct({ fetch: 'fetch' }), 'fetch');
  });

  it.each([
    ['clockTolerance', 60, 'renamed "clockToleranceMs", in milliseconds'],
    ['jwksCooldown', 1_000, 'renamed "jwksCooldownMs"'],
    ['timeout', 1_000, 'renamed "timeoutMs"'],
  ])('refuses the former option %s, naming its replacement', (option, value, hint) => {
    expectOptionError(
      construct({ [option]: value } as never),
      option,
      new RegExp(`is not a known option \\(${hint.replace(/[()]/g, '\\$&')}\\)`),
    );
  });

  it('defaults maxTokenLength to 8192, as bearer extraction does', async () => {
    const verifier = createJwtVerifier(base);
    const rejection = await verifier.verifyAccessToken('a'.repeat(8193)).catch((e: unknown) => e);
    expect(rejection).toMatchObject({ code: 'invalid_token', reason: 'too_large' });
    const atLimit = await verifier
      .verifyAccessToken(`${'a'.repeat(4096)}.${'b'.repeat(4095)}`)
      .catch((e: unknown) => e);
    expect(atLimit).toMatchObject({ reason: 'malformed' }); // within the limit: parsed, not refused for size
  });

  it('refuses a missing options object', () => {
    expectOptionError(
      () => createJwtVerifier(undefined as unknown as JwtVerifierOptions),
      'options',
    );
  });
});
